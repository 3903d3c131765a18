package bounce_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/manga-alert-italia/mangaalert/notifier/bounce"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

// fetchCounter is a CertSource that counts what it is asked for, over the
// signer: under the fuzzer nothing may reach the network (the reason an
// earlier fuzz run stalled: HTTPCertSource fetched forged URLs with a
// client that had no timeout).
type fetchCounter struct {
	*signer
	n atomic.Int64
}

func (f *fetchCounter) Certificate(ctx context.Context, u string) (*x509.Certificate, error) {
	f.n.Add(1)
	return f.signer.Certificate(ctx, u)
}

// FuzzSNS: any body given to the SNS handler is refused or applied without
// a panic; a message of a topic not accepted, or with a signature no RSA
// key of SNS's sizes makes, fetches no certificate.
func FuzzSNS(f *testing.F) {
	s := newSigner(&testing.T{})
	for _, name := range []string{"ses-bounce-permanent.json", "ses-complaint.json", "ses-delivery.json"} {
		m := notification(sample(&testing.T{}, name), "m-"+name)
		s.sign(&testing.T{}, m, "2")
		b, _ := json.Marshal(m)
		f.Add(b)
	}
	f.Add(sample(&testing.T{}, "sns-subscription-confirmation.json"))
	f.Add([]byte(`{"Type":"Notification","TopicArn":"arn:aws:sns:eu-south-1:1:other","SignatureVersion":"1","Signature":"AAAA"}`))
	f.Add([]byte(`{"Type":"Notification","TopicArn":"` + topic + `","SignatureVersion":"2","Signature":"AAAA","SigningCertURL":"https://sns.x.amazonaws.com/a.pem"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))

	st, err := bolt.Open(filepath.Join(f.TempDir(), "s.db"), func(o *bolt.Options) { o.NoSync = true })
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	certs := &fetchCounter{signer: s}
	h := bounce.New(st, func(h *bounce.Handler) { h.Certs, h.Topics = certs, []string{topic} })
	f.Fuzz(func(t *testing.T, body []byte) {
		before := certs.n.Load()
		_, _ = h.HandleSNS(context.Background(), body)
		var m bounce.SNSMessage
		if json.Unmarshal(body, &m) != nil || m.TopicArn != topic {
			if certs.n.Load() != before {
				t.Fatalf("a certificate fetched for a message of topic %q", m.TopicArn)
			}
		}
	})
}
