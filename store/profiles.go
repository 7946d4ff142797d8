package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

type profileRow struct {
	citizenRow
	Email               string    `db:"email"`
	Mobile              string    `db:"mobile"`
	Language            string    `db:"language"`
	NotificationChannel string    `db:"notification_channel"`
	UpdatedAt           timestamp `db:"updated_at"`
}

func (r profileRow) profile() me.CitizenProfile {
	p := me.CitizenProfile{
		PersonalIdentityNumber: r.PersonalIdentityNumber,
		GivenName:              r.GivenName,
		Surname:                r.Surname,
		Address:                r.address(),
		Email:                  r.Email,
		Mobile:                 r.Mobile,
		Language:               me.Language(r.Language),
		Channel:                me.NotificationChannel(r.NotificationChannel),
		Updated:                r.UpdatedAt.Time,
	}
	return p
}

const profileQuery = `
	SELECT personal_identity_number, given_name, surname,
		care_of, street, postal_code, city, country,
		email, mobile, language, notification_channel, updated_at
	FROM citizens WHERE personal_identity_number = ?`

// CitizenProfile returns what ME keeps about a citizen: the names and
// address (from signals or the portal) and the contact details, language
// and notification channel the citizen chose. Address is nil when there is
// none. A citizen ME does not know gives an error wrapping me.ErrNotFound;
// their profile is me.DefaultProfile.
func (s *Store) CitizenProfile(ctx context.Context, pnr string) (me.CitizenProfile, error) {
	var r profileRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(profileQuery), pnr); err != nil {
		// No personnummer in the error: it ends up in logs.
		return me.CitizenProfile{}, fmt.Errorf("store: get citizen profile: %w", notFound(err))
	}
	return r.profile(), nil
}

// PutCitizenProfile stores a citizen's profile whole, as the portal sends
// it: every field is written, so an empty one is cleared and a nil Address
// (or one with every field empty) removes the address. An empty Language is
// Swedish and an empty Channel none; other unknown values are a
// ValidationFailed error. The citizen is created when ME does not know them
// yet. Updated is now; the stored profile is returned.
//
// Signals later fill in names and address again when they give them, and
// never touch the contact details, language or channel.
func (s *Store) PutCitizenProfile(ctx context.Context, p me.CitizenProfile, now time.Time) (me.CitizenProfile, error) {
	if p.PersonalIdentityNumber == "" {
		return me.CitizenProfile{}, me.Errorf(me.CodeValidationFailed, "the profile has no personal identity number")
	}
	if p.Language == "" {
		p.Language = me.Swedish
	}
	if p.Channel == "" {
		p.Channel = me.NotifyNone
	}
	switch p.Language {
	case me.Swedish, me.English:
	default:
		return me.CitizenProfile{}, me.Errorf(me.CodeValidationFailed, "unknown language %q (want sv or en)", p.Language)
	}
	switch p.Channel {
	case me.NotifySMS, me.NotifyEmail, me.NotifyBoth, me.NotifyNone:
	default:
		return me.CitizenProfile{}, me.Errorf(me.CodeValidationFailed, "unknown notification channel %q (want sms, email, both or none)", p.Channel)
	}
	var a me.PostalAddress
	if p.Address != nil {
		a = *p.Address
	}

	var stored profileRow
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO citizens (
					personal_identity_number, name, given_name, surname,
					care_of, street, postal_code, city, country,
					email, mobile, language, notification_channel, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (personal_identity_number) DO UPDATE SET
					name = excluded.name,
					given_name = excluded.given_name,
					surname = excluded.surname,
					care_of = excluded.care_of,
					street = excluded.street,
					postal_code = excluded.postal_code,
					city = excluded.city,
					country = excluded.country,
					email = excluded.email,
					mobile = excluded.mobile,
					language = excluded.language,
					notification_channel = excluded.notification_channel,
					updated_at = excluded.updated_at`),
				p.PersonalIdentityNumber, strings.TrimSpace(p.GivenName+" "+p.Surname), p.GivenName, p.Surname,
				a.CareOf, a.Street, a.PostalCode, a.City, a.Country,
				p.Email, p.Mobile, string(p.Language), string(p.Channel), timestamp{now}, timestamp{now})
			if err != nil {
				return err
			}
			return tx.GetContext(ctx, &stored, tx.Rebind(profileQuery), p.PersonalIdentityNumber)
		})
	})
	if err != nil {
		return me.CitizenProfile{}, fmt.Errorf("store: put citizen profile: %w", err)
	}
	return stored.profile(), nil
}
