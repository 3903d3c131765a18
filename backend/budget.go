package backend

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Inbox is the mailbox an address delivers to, as the mail budgets count
// it, so that variants of one address share one budget:
//
//   - the address is lower-cased (store.NormalizeEmail);
//   - a "+tag" is removed from the local part ("anna+1@x.it" is
//     "anna@x.it"), as most providers deliver it to the same inbox;
//   - googlemail.com is gmail.com, and for gmail.com the dots of the local
//     part are removed ("a.n.n.a@googlemail.com" is "anna@gmail.com"),
//     as Gmail ignores them.
//
// Inbox is for counting only: mail still goes to the address as given.
func Inbox(email string) string {
	email = store.NormalizeEmail(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	local, domain := email[:at], email[at+1:]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}

// The windows of the mail budgets.
const (
	inboxWindow  = 24 * time.Hour
	ipWindow     = time.Hour
	globalWindow = time.Hour
)

// takeMailBudgets takes one mail from each budget the job falls under, in
// the store (so restarts and replicas share them): the client address's
// (an IPv6 client is its /64), the inbox's (see Inbox; by keyed hash, so
// the store holds no address for it) and the service's. ok false names
// the budget that was spent. A budget refused leaves the ones after it
// untouched; the ones before it keep the attempt (an address that keeps
// trying spends its own budget, not the service's).
func (b *Backend) takeMailBudgets(ctx context.Context, j mailJob, now time.Time) (ok bool, why string, err error) {
	type budget struct {
		name, key string
		limit     int
		window    time.Duration
	}
	var budgets []budget
	if j.ip.IsValid() {
		budgets = append(budgets, budget{"ip_budget", "mail/ip/" + clientKey(j.ip).String(), b.cfg.MailsPerIP, ipWindow})
	}
	budgets = append(budgets,
		budget{"inbox_budget", "mail/inbox/" + b.emailHash(Inbox(j.email)), b.cfg.MailsPerAddress, inboxWindow},
		budget{"global_budget", "mail/all", b.cfg.MailsPerHour, globalWindow})
	// TODO: a budget taken is not given back when a later one (or the
	// store write after them) fails: under heavy contention on DynamoDB an
	// inbox can get fewer than MailsPerAddress mails in a day (never more).
	for _, bu := range budgets {
		if bu.limit < 0 {
			continue
		}
		ok, err := b.cfg.Store.TakeBudget(ctx, bu.key, j.id, bu.limit, bu.window, now)
		if err != nil {
			return false, "", fmt.Errorf("mail budget %s: %w", bu.name, err)
		}
		if !ok {
			return false, bu.name, nil
		}
	}
	return true, "", nil
}
