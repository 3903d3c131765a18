package bounce

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
)

// Handler takes SES events over HTTP: SNS deliveries (recognised by their
// x-amz-sns-message-type header) and EventBridge events (API destinations).
// Its fields are options; zero means the default.
type Handler struct {
	Suppressor
	// Certs verifies SNS signatures when set (use &HTTPCertSource{} in
	// production); unset, signatures are not checked.
	Certs CertSource
	// Topics are the SNS topic ARNs accepted; empty accepts any topic.
	Topics []string
	// Confirm makes the handler confirm SNS subscriptions of accepted
	// topics by fetching their SubscribeURL; off, a confirmation request is
	// only acknowledged and reported.
	Confirm bool
	// Client fetches SubscribeURLs (default: a client with a 10 s timeout).
	Client *http.Client
	// CheckURL vets a SubscribeURL before it is fetched (default
	// CheckSNSURL: https on an SNS host).
	CheckURL func(string) error
	// EventSecret, when set, must come with EventBridge events over HTTP as
	// "Authorization: Bearer <secret>" (the API destination's connection
	// sets it).
	EventSecret string
	// MaxBody bounds a request body (default 256 KiB; SNS messages are at
	// most 256 KB).
	MaxBody int64
}

// New returns a handler that suppresses in st.
func New(st Store, opts ...func(*Handler)) *Handler {
	h := &Handler{Suppressor: Suppressor{Store: st}}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Errors the handler answers with 403: the sender is not who it says.
var (
	ErrTopic  = errors.New("sns topic not accepted")
	ErrSecret = errors.New("event without the expected secret")
)

// HandleSNS applies one SNS delivery: a Notification carrying an SES record
// in Message, or a subscription (un)confirmation.
func (h *Handler) HandleSNS(ctx context.Context, body []byte) (Result, error) {
	m, err := parseSNS(body)
	if err != nil {
		return Result{}, err
	}
	// The topic first: a message of a topic not accepted costs no
	// certificate fetch and no RSA check, whatever it claims.
	if len(h.Topics) > 0 && !slices.Contains(h.Topics, m.TopicArn) {
		return Result{}, fmt.Errorf("%w: %s", ErrTopic, m.TopicArn)
	}
	if h.Certs != nil {
		if err := Verify(ctx, h.Certs, m); err != nil {
			return Result{}, err
		}
	}
	switch m.Type {
	case "Notification":
		return h.Process(ctx, []byte(m.Message))
	case "SubscriptionConfirmation":
		if !h.Confirm {
			h.log().Debug("sns subscription not confirmed (Confirm is off)", "topic", m.TopicArn)
			return Result{Type: m.Type, Ignored: "subscription to " + m.TopicArn + " not confirmed: set Confirm, or visit its SubscribeURL"}, nil
		}
		if err := h.confirm(ctx, m.SubscribeURL); err != nil {
			return Result{Type: m.Type}, err
		}
		return Result{Type: m.Type, Ignored: "subscription to " + m.TopicArn + " confirmed"}, nil
	case "UnsubscribeConfirmation":
		return Result{Type: m.Type, Ignored: "unsubscribed from " + m.TopicArn}, nil
	}
	return Result{}, fmt.Errorf("sns message type %q", m.Type)
}

func (h *Handler) confirm(ctx context.Context, subscribeURL string) error {
	check := h.CheckURL
	if check == nil {
		check = CheckSNSURL
	}
	if err := check(subscribeURL); err != nil {
		return err
	}
	client := h.Client
	if client == nil {
		client = defaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, subscribeURL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("confirm sns subscription: %w: %w", errStore, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("confirm sns subscription: %w: %s", errStore, resp.Status)
	}
	return nil
}

// EventBridge event envelope.
type event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// HandleEvent applies one EventBridge event from SES ("Email Bounced",
// "Email Complaint Received"; other detail types change nothing).
func (h *Handler) HandleEvent(ctx context.Context, body []byte) (Result, error) {
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, fmt.Errorf("eventbridge event: %w", err)
	}
	if e.Source != "aws.ses" {
		return Result{}, fmt.Errorf("eventbridge event from %q: want source aws.ses", e.Source)
	}
	switch e.DetailType {
	case "Email Bounced", "Email Complaint Received":
		return h.Process(ctx, e.Detail)
	}
	return Result{Type: e.DetailType, Ignored: e.DetailType + " events change nothing"}, nil
}

// ServeHTTP answers 200 when the event was applied or deliberately
// ignored, 400 for what is not an SES event, 403 for a bad signature,
// topic or secret, and 500 when the store failed (SNS and EventBridge
// deliver again).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST SES events here", http.StatusMethodNotAllowed)
		return
	}
	limit := h.MaxBody
	if limit <= 0 {
		limit = 256 << 10
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	var res Result
	if r.Header.Get("x-amz-sns-message-type") != "" {
		res, err = h.HandleSNS(r.Context(), body)
	} else {
		if h.EventSecret != "" {
			want := "Bearer " + h.EventSecret
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
				http.Error(w, ErrSecret.Error(), http.StatusForbidden)
				return
			}
		}
		res, err = h.HandleEvent(r.Context(), body)
	}
	switch {
	case errors.Is(err, ErrSignature), errors.Is(err, ErrTopic):
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	case err != nil && isInput(err):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		h.log().Debug("ses event failed", "err", err)
		http.Error(w, "could not record the event; deliver it again", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// isInput reports errors about the request's content, not the store.
func isInput(err error) bool { return !errors.Is(err, errStore) }
