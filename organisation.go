package me

// Role is what a system client may do. A client has exactly one role.
type Role string

const (
	RolePortal     Role = "portal"     // an organisation's web (externwebb)
	RoleCaseSystem Role = "casesystem" // a case-management system (ärendehanteringssystem) sending signals
	RoleEService   Role = "etjanst"    // an e-service (eTjänst) redeeming tickets
	RoleCatalog    Role = "catalog"    // a publisher to the e-service catalog (eTjänstekatalog)
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RolePortal, RoleCaseSystem, RoleEService, RoleCatalog:
		return true
	}
	return false
}

// Organisation is a municipality or authority that runs its cases and
// e-services through ME.
type Organisation struct {
	Number    string // organisationsnummer, 10 digits without dash
	Name      string
	PortalURL string // where citizens log in; used in notifications
}

// Client is a system that talks to ME: a portal, a case system, an e-service
// or a catalog publisher. Clients are declared in the YAML configuration.
type Client struct {
	Name               string
	OrganisationNumber string
	Role               Role
	// Authentication: a certificate (SHA-256 fingerprint of the DER, hex,
	// or the subject as RFC 4514 text, matched by SubjectKey) or a bcrypt
	// hash of an HTTP Basic secret. At least one is set.
	CertFingerprint string
	CertSubject     string
	SecretHash      string
	// EServiceIDs are the e-services of its organisation an e-service
	// client is (RoleEService only): it redeems their tickets and nothing
	// else.
	EServiceIDs []string
	// ExtraOrganisations are further organisations a portal may show the
	// cases of (RolePortal only).
	ExtraOrganisations []string
}

// ServesEService reports whether the client is the e-service org/id: an
// e-service client of that organisation configured for that e-service.
func (c Client) ServesEService(org, id string) bool {
	if c.Role != RoleEService || c.OrganisationNumber != org {
		return false
	}
	for _, e := range c.EServiceIDs {
		if e == id {
			return true
		}
	}
	return false
}

// Luhn checks the mod-10 control digit of a digit string, as
// organisationsnummer and personnummer carry it.
func Luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) > 0 && sum%10 == 0
}

// ValidOrganisationNumber reports whether n is a 10-digit
// organisationsnummer: third digit 2 or more, and a valid control digit.
func ValidOrganisationNumber(n string) bool {
	return len(n) == 10 && n[2] >= '2' && Luhn(n)
}
