package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// tickets issues and redeems one-time tickets by the rules of CAS service
// tickets: 256 random bits, only a hash stored, a short lifetime, bound to
// one e-service, and exactly one redemption attempt.
type tickets struct {
	store    *store.Store
	lifetime time.Duration
	now      func() time.Time
}

// newTicket returns a ticket value, 256 random bits as URL-safe base64,
// and the hash under which it is stored. crypto/rand never fails since
// Go 1.24, as me.NewToken notes.
func newTicket() (value string, hash []byte) {
	var b [32]byte
	rand.Read(b[:])
	value = base64.RawURLEncoding.EncodeToString(b[:])
	return value, ticketHash(value)
}

// ticketHash is SHA-256: the value carries 256 random bits, so a slow
// password hash would add nothing.
func ticketHash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// issue stores a ticket for t and returns its value, the e-service URL with
// the ticket appended, and when it expires.
func (tk *tickets) issue(ctx context.Context, t me.Ticket, e me.EService) (value, link string, err error) {
	value, hash := newTicket()
	u, err := url.Parse(e.StartURL)
	if err != nil {
		return "", "", fmt.Errorf("e-service %s/%s start URL: %w", e.OrganisationNumber, e.ID, err)
	}
	q := u.Query()
	param := e.TicketParameter
	if param == "" {
		param = "ticket"
	}
	q.Set(param, value)
	u.RawQuery = q.Encode()
	if err := tk.store.CreateTicket(ctx, hash, t); err != nil {
		return "", "", err
	}
	return value, u.String(), nil
}

// times returns the issue and expiry time of a ticket issued now.
func (tk *tickets) times() (issued, expires time.Time) {
	issued = tk.now().UTC()
	return issued, issued.Add(tk.lifetime)
}

// redeem makes the one redemption attempt a ticket allows, for client.
// Whatever it answers, the ticket cannot be redeemed again.
func (tk *tickets) redeem(ctx context.Context, value string, client me.Client) (me.Ticket, error) {
	t, first, err := tk.store.RedeemTicket(ctx, ticketHash(value), client.Name, tk.now().UTC())
	switch {
	case errors.Is(err, me.ErrNotFound):
		return me.Ticket{}, me.Errorf(me.CodeInvalidTicket, "ME did not issue this ticket, or it expired long ago and was removed; the citizen must start again from the portal")
	case err != nil:
		return me.Ticket{}, err
	case !first:
		return me.Ticket{}, me.Errorf(me.CodeTicketUsed, "the ticket was already redeemed (tickets are one-time); the citizen must start again from the portal")
	case !client.ServesEService(t.EServiceOrganisation, t.EServiceID):
		return me.Ticket{}, me.Errorf(me.CodeForbidden, "the ticket was issued for another e-service; it is now used up")
	case !tk.now().Before(t.Expires):
		return me.Ticket{}, me.Errorf(me.CodeTicketExpired, "the ticket expired at %s; the citizen must start again from the portal", t.Expires.UTC().Format(time.RFC3339))
	}
	return t, nil
}
