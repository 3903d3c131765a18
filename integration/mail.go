package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"
)

// Mail is one message an emulator accepted through SES (v1 or v2).
type Mail struct {
	ID      string
	From    string
	To      []string
	Subject string
	Raw     []byte      // the whole RFC 5322 message, for raw sends
	Header  mail.Header // parsed from Raw (nil for simple sends)
	Body    string      // the body: from Raw, or the simple send's text
}

// SentMail returns the mail the emulator accepted for any of the given
// recipients (all mail when none is given). AWS has no API for this: it reads
// the emulator's own side door (moto's /moto-api/data.json, LocalStack's
// /_aws/ses), whose format this function alone knows.
//
// moto keeps sent mail in one list for all accounts, so tests tell their
// mail apart by recipient: give each test addresses of its own.
func (e *Emulator) SentMail(ctx context.Context, to ...string) ([]Mail, error) {
	var all []Mail
	var err error
	switch e.Kind {
	case Moto:
		all, err = motoMail(ctx, e.Endpoint)
	case LocalStack:
		all, err = localStackMail(ctx, e.Endpoint)
	default:
		return nil, fmt.Errorf("sent mail: %s offers no way to read it", e)
	}
	if err != nil {
		return nil, fmt.Errorf("sent mail from %s: %w", e, err)
	}
	if len(to) == 0 {
		return all, nil
	}
	var out []Mail
	for _, m := range all {
		for _, r := range m.To {
			if slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, bareAddress(r)) }) {
				out = append(out, m)
				break
			}
		}
	}
	return out, nil
}

func bareAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return s
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return &statusError{url: url, status: resp.Status, code: resp.StatusCode, body: b}
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// statusError is an emulator's side door answering other than 200.
type statusError struct {
	url, status string
	code        int
	body        []byte
}

func (e *statusError) Error() string { return fmt.Sprintf("GET %s: %s: %s", e.url, e.status, e.body) }

// moto's data.json (internal format): ses.Message holds simple sends,
// ses.RawMessage raw ones.
func motoMail(ctx context.Context, ep string) ([]Mail, error) {
	var data struct {
		SES struct {
			Message []struct {
				ID           string `json:"id"`
				Source       string `json:"source"`
				Subject      string `json:"subject"`
				Body         string `json:"body"`
				Destinations struct {
					ToAddresses  []string `json:"ToAddresses"`
					CcAddresses  []string `json:"CcAddresses"`
					BccAddresses []string `json:"BccAddresses"`
				} `json:"destinations"`
			} `json:"Message"`
			RawMessage []struct {
				ID           string   `json:"id"`
				Source       string   `json:"source"`
				RawData      string   `json:"raw_data"`
				Destinations []string `json:"destinations"`
			} `json:"RawMessage"`
		} `json:"ses"`
	}
	// The dump walks every resource moto holds without a lock, and fails
	// (HTTP 500) when another test changes one meanwhile: ask again.
	var err error
	for range 5 {
		var se *statusError
		if err = getJSON(ctx, ep+"/moto-api/data.json", &data); !errors.As(err, &se) || se.code != http.StatusInternalServerError {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var out []Mail
	for _, m := range data.SES.Message {
		d := m.Destinations
		out = append(out, Mail{ID: m.ID, From: m.Source, Subject: m.Subject, Body: m.Body,
			To: slices.Concat(d.ToAddresses, d.CcAddresses, d.BccAddresses)})
	}
	for _, m := range data.SES.RawMessage {
		mm := rawMail(m.ID, m.Source, []byte(m.RawData))
		mm.To = slices.Compact(slices.Sorted(slices.Values(m.Destinations)))
		out = append(out, mm)
	}
	return out, nil
}

func localStackMail(ctx context.Context, ep string) ([]Mail, error) {
	var data struct {
		Messages []struct {
			ID          string `json:"Id"`
			Source      string `json:"Source"`
			Subject     string `json:"Subject"`
			RawData     string `json:"RawData"`
			Destination struct {
				ToAddresses []string `json:"ToAddresses"`
			} `json:"Destination"`
			Body struct {
				Text string `json:"text_part"`
			} `json:"Body"`
		} `json:"messages"`
	}
	if err := getJSON(ctx, ep+"/_aws/ses", &data); err != nil {
		return nil, err
	}
	var out []Mail
	for _, m := range data.Messages {
		if m.RawData != "" {
			mm := rawMail(m.ID, m.Source, []byte(m.RawData))
			if len(m.Destination.ToAddresses) > 0 {
				mm.To = m.Destination.ToAddresses
			}
			out = append(out, mm)
			continue
		}
		out = append(out, Mail{ID: m.ID, From: m.Source, Subject: m.Subject, Body: m.Body.Text,
			To: m.Destination.ToAddresses})
	}
	return out, nil
}

func rawMail(id, source string, raw []byte) Mail {
	m := Mail{ID: id, From: source, Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = s
	}
	for _, h := range []string{"To", "Cc"} {
		if list, err := msg.Header.AddressList(h); err == nil {
			for _, a := range list {
				m.To = append(m.To, a.Address)
			}
		}
	}
	if m.From == "" {
		m.From = msg.Header.Get("From")
	}
	body, _ := io.ReadAll(msg.Body)
	m.Body = string(body)
	return m
}
