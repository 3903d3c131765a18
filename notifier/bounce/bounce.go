// Package bounce takes the bounce and complaint events Amazon SES publishes
// and marks the readers concerned Suppressed, so they are never mailed
// again: permanent bounces and complaints suppress; transient and
// undetermined bounces, deliveries and other events change nothing.
//
// Events arrive through Amazon SNS (an HTTP subscription whose
// notifications carry the SES record as a JSON string in "Message"; their
// signatures are verified when a CertSource is set) or through Amazon
// EventBridge (events with source "aws.ses" and detail-type "Email
// Bounced" or "Email Complaint Received", the SES record in "detail").
// Handler serves both over HTTP; HandleSNS and HandleEvent take a body from
// anywhere else (an SQS queue, a Lambda).
package bounce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Store is what suppression needs of the store.
type Store interface {
	SubscriberByEmail(ctx context.Context, email string) (store.Subscriber, error)
	UpdateSubscriber(ctx context.Context, s store.Subscriber, now time.Time) (store.Subscriber, error)
}

var _ Store = store.Store(nil)

// Record is the part of an SES event record (or of an identity feedback
// notification, which names its type notificationType) that matters here.
type Record struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Bounce           *struct {
		BounceType        string      `json:"bounceType"` // Permanent, Transient, Undetermined
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		FeedbackID        string      `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		ComplaintSubType      *string     `json:"complaintSubType"`
		FeedbackID            string      `json:"feedbackId"`
	} `json:"complaint"`
	Mail struct {
		MessageID string `json:"messageId"`
	} `json:"mail"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Type is the record's event type, whichever field names it.
func (r *Record) Type() string {
	if r.EventType != "" {
		return r.EventType
	}
	return r.NotificationType
}

// Result says what an event did.
type Result struct {
	Type       string   // Bounce, Complaint, ...
	Suppressed []string // the addresses now Suppressed
	Unknown    []string // addresses of no subscriber
	Ignored    string   // why nothing was done, when nothing was
}

// errStore marks failures that are not the event's fault: the store (or an
// upstream) failed, and delivering the event again may work.
var errStore = errors.New("try again")

// Suppressor marks readers Suppressed.
type Suppressor struct {
	Store  Store
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default().WithGroup("bounce")
}

func (s *Suppressor) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Suppressor) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default().WithGroup("bounce")
}

// Process applies one SES record (the JSON SES publishes).
func (s *Suppressor) Process(ctx context.Context, record []byte) (Result, error) {
	var r Record
	if err := json.Unmarshal(record, &r); err != nil {
		return Result{}, fmt.Errorf("ses record: %w", err)
	}
	res := Result{Type: r.Type()}
	var addrs []string
	switch strings.ToLower(res.Type) {
	case "bounce":
		if r.Bounce == nil {
			return res, errors.New("ses record: a Bounce without a bounce object")
		}
		if r.Bounce.BounceType != "Permanent" {
			res.Ignored = r.Bounce.BounceType + " bounce: SES retries or the address may recover"
			return res, nil
		}
		for _, rc := range r.Bounce.BouncedRecipients {
			addrs = append(addrs, rc.EmailAddress)
		}
	case "complaint":
		if r.Complaint == nil {
			return res, errors.New("ses record: a Complaint without a complaint object")
		}
		// A complaint of subtype OnAccountSuppressionList (SES did not
		// send: the address is on the account's list) suppresses too.
		for _, rc := range r.Complaint.ComplainedRecipients {
			addrs = append(addrs, rc.EmailAddress)
		}
	case "":
		return res, errors.New("ses record: no eventType nor notificationType: not an SES event")
	default:
		res.Ignored = res.Type + " events change nothing"
		return res, nil
	}
	for _, a := range addrs {
		ok, err := s.Suppress(ctx, a)
		if err != nil {
			return res, err
		}
		if ok {
			res.Suppressed = append(res.Suppressed, store.NormalizeEmail(a))
		} else {
			res.Unknown = append(res.Unknown, store.NormalizeEmail(a))
		}
	}
	s.log().Debug("ses event", "type", res.Type, "message", r.Mail.MessageID, "suppressed", len(res.Suppressed), "unknown", len(res.Unknown))
	return res, nil
}

// Suppress marks the subscriber of addr Suppressed. It reports false when
// no subscriber has that address. A subscriber already Suppressed costs no
// write; a concurrent change is read again and retried.
func (s *Suppressor) Suppress(ctx context.Context, addr string) (bool, error) {
	email := store.NormalizeEmail(addr)
	for range 5 {
		sub, err := s.Store.SubscriberByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("suppress %s: %w: %w", email, errStore, err)
		}
		if sub.Status == store.Suppressed {
			return true, nil
		}
		sub.Status = store.Suppressed
		_, err = s.Store.UpdateSubscriber(ctx, sub, s.now())
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("suppress %s: %w: %w", email, errStore, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("suppress %s: %w: %w (5 tries)", email, errStore, store.ErrConflict)
}
