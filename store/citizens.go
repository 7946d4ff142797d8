// Tables: citizens: the names and address signals give, and the profile
// the citizen keeps (contact details, language, notification channel).
// Only this file writes the table; linking a citizen to a case is cases.go's
// (saveCase). Errors name no personnummer: they end up in logs.

package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

type citizenRow struct {
	PersonalIdentityNumber string `db:"personal_identity_number"`
	GivenName              string `db:"given_name"`
	Surname                string `db:"surname"`
	CareOf                 string `db:"care_of"`
	Street                 string `db:"street"`
	PostalCode             string `db:"postal_code"`
	City                   string `db:"city"`
	Country                string `db:"country"`
}

// address is nil when every address column is empty.
func (r citizenRow) address() *me.PostalAddress {
	a := me.PostalAddress{CareOf: r.CareOf, Street: r.Street, PostalCode: r.PostalCode, City: r.City, Country: r.Country}
	if a == (me.PostalAddress{}) {
		return nil
	}
	return &a
}

// Citizen returns a citizen by personnummer. Address is nil when no signal
// has given one.
func (s *Store) Citizen(ctx context.Context, pnr string) (me.Citizen, error) {
	var r citizenRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT personal_identity_number, given_name, surname,
			care_of, street, postal_code, city, country
		FROM citizens WHERE personal_identity_number = ?`), pnr)
	if err != nil {
		// No personnummer in the error: it ends up in logs.
		return me.Citizen{}, fmt.Errorf("store: get citizen: %w", notFound(err))
	}
	return me.Citizen{PersonalIdentityNumber: r.PersonalIdentityNumber, GivenName: r.GivenName, Surname: r.Surname, Address: r.address()}, nil
}

// upsertCitizens upserts the citizens in order of personnummer, so that
// concurrent transactions lock rows in the same order, and returns their
// personnummer in that order, each once.
func upsertCitizens(ctx context.Context, tx *sqlx.Tx, citizens []me.Citizen, now time.Time) ([]string, error) {
	citizens = slices.SortedFunc(slices.Values(citizens), func(a, b me.Citizen) int {
		return cmp.Compare(a.PersonalIdentityNumber, b.PersonalIdentityNumber)
	})
	var pnrs []string
	// Errors name no personnummer: they end up in logs.
	for i, c := range citizens {
		if i > 0 && c.PersonalIdentityNumber == citizens[i-1].PersonalIdentityNumber {
			continue
		}
		if err := upsertCitizen(ctx, tx, c, now); err != nil {
			return nil, fmt.Errorf("upsert citizen: %w", err)
		}
		pnrs = append(pnrs, c.PersonalIdentityNumber)
	}
	return pnrs, nil
}

// upsertCitizen inserts a citizen or fills in the names it is given (an
// empty one keeps the stored one) and, when given, the whole address. A
// citizen the signal changes nothing of is not written: on PostgreSQL the
// write would lock the row until commit, and concurrent signals for the
// same citizen on different cases would wait for each other.
func upsertCitizen(ctx context.Context, tx *sqlx.Tx, c me.Citizen, now time.Time) error {
	var a me.PostalAddress
	if c.Address != nil {
		a = *c.Address
	}
	var stored citizenRow
	err := tx.GetContext(ctx, &stored, tx.Rebind(`
		SELECT personal_identity_number, given_name, surname, care_of, street, postal_code, city, country
		FROM citizens WHERE personal_identity_number = ?`), c.PersonalIdentityNumber)
	switch {
	case err == nil:
		if (c.GivenName == "" || c.GivenName == stored.GivenName) && (c.Surname == "" || c.Surname == stored.Surname) &&
			(c.Address == nil || a == me.PostalAddress{CareOf: stored.CareOf, Street: stored.Street, PostalCode: stored.PostalCode, City: stored.City, Country: stored.Country}) {
			return nil
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	query := `
		INSERT INTO citizens (
			personal_identity_number, name, given_name, surname,
			care_of, street, postal_code, city, country, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (personal_identity_number) DO UPDATE SET
			given_name = COALESCE(NULLIF(excluded.given_name, ''), citizens.given_name),
			surname = COALESCE(NULLIF(excluded.surname, ''), citizens.surname),
			name = TRIM(COALESCE(NULLIF(excluded.given_name, ''), citizens.given_name) || ' ' ||
				COALESCE(NULLIF(excluded.surname, ''), citizens.surname)),
			updated_at = excluded.updated_at`
	if c.Address != nil {
		query += `,
			care_of = excluded.care_of,
			street = excluded.street,
			postal_code = excluded.postal_code,
			city = excluded.city,
			country = excluded.country`
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(query),
		c.PersonalIdentityNumber, strings.TrimSpace(c.GivenName+" "+c.Surname), c.GivenName, c.Surname,
		a.CareOf, a.Street, a.PostalCode, a.City, a.Country, timestamp{now}, timestamp{now})
	return err
}

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

// profileTx returns the citizen's profile, or me.DefaultProfile and false
// when ME has none.
func profileTx(ctx context.Context, tx *sqlx.Tx, pnr string) (me.CitizenProfile, bool, error) {
	var r profileRow
	err := tx.GetContext(ctx, &r, tx.Rebind(profileQuery), pnr)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return me.DefaultProfile(pnr), false, nil
	case err != nil:
		// No personnummer in the error: it ends up in logs.
		return me.CitizenProfile{}, false, fmt.Errorf("get citizen profile: %w", err)
	}
	return r.profile(), true, nil
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

// eraseProfile removes what ME keeps about the citizen in citizens: the
// row itself when no case names the citizen, otherwise (case_citizens
// refers to it) every column but the personnummer and the times is
// blanked: names, address, e-mail, mobile, language and channel to their
// defaults. It returns how many rows it removed or blanked: 0 or 1.
func eraseProfile(ctx context.Context, tx *sqlx.Tx, pnr string, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`
		DELETE FROM citizens WHERE personal_identity_number = ?
			AND NOT EXISTS (SELECT 1 FROM case_citizens WHERE personal_identity_number = ?)`), pnr, pnr)
	if err != nil {
		return 0, fmt.Errorf("delete citizen: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return n, err
	}
	res, err = tx.ExecContext(ctx, tx.Rebind(`
		UPDATE citizens SET name = '', given_name = '', surname = '',
			care_of = '', street = '', postal_code = '', city = '', country = '',
			email = '', mobile = '', language = ?, notification_channel = ?, updated_at = ?
		WHERE personal_identity_number = ?`),
		string(me.Swedish), string(me.NotifyNone), timestamp{now}, pnr)
	if err != nil {
		return 0, fmt.Errorf("blank citizen: %w", err)
	}
	return res.RowsAffected()
}
