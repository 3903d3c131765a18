package notifier

// Footer is the links at the foot of an alert email.
type Footer struct {
	UnsubscribeURL string
	ManageURL      string
	// PrivacyURL is the privacy page (what is kept about the reader, why,
	// for how long); "" leaves its line out.
	PrivacyURL string
}

// PrivacyLinks is a Links that also knows the site's privacy page
// (backend.Links is one): the alert emails then link it in their footer.
// It is a separate interface so that the Links of existing callers keep
// working unchanged.
type PrivacyLinks interface {
	PrivacyURL() string
}

// privacyURL is the privacy page of the notifier's Links, or "".
func (c *Notifier) privacyURL() string {
	if p, ok := c.links.(PrivacyLinks); ok {
		return p.PrivacyURL()
	}
	return ""
}
