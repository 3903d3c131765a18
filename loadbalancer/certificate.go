package loadbalancer

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

const certIssued = "ISSUED"

// certificate is one ACM certificate of the stack.
type certificate struct {
	arn, domain, status string
	records             []Record
	inUseBy             []string
}

// usable: issued, or on its way to being issued.
func (c *certificate) usable() bool {
	return c.status == certIssued || c.status == string(acmtypes.CertificateStatusPendingValidation)
}

// certificates lists the stack's certificates (tagged as its own).
func (lb *LoadBalancer) certificates(ctx context.Context, n names) ([]*certificate, error) {
	var out []*certificate
	pages := acm.NewListCertificatesPaginator(lb.c.ACM, &acm.ListCertificatesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list certificates")
		}
		for _, s := range page.CertificateSummaryList {
			arn := aws.ToString(s.CertificateArn)
			tags, err := lb.c.ACM.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
			if awserr.Is(err, "ResourceNotFoundException") {
				continue
			}
			if err != nil {
				return nil, wrap(err, "list the tags of certificate %s", arn)
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !n.ours(m) {
				continue
			}
			c, err := lb.describeCertificate(ctx, arn, false)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *certificate) int { return compare(a.arn, b.arn) })
	return out, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// describeCertificate reads a certificate; waitRecords waits (bounded by
// Options.Timeout) until ACM has written the validation record of a new
// request, which takes it a few seconds.
func (lb *LoadBalancer) describeCertificate(ctx context.Context, arn string, waitRecords bool) (*certificate, error) {
	var c *certificate
	read := func(ctx context.Context) (bool, error) {
		out, err := lb.c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			return false, wrap(err, "describe certificate %s", arn)
		}
		d := out.Certificate
		c = &certificate{arn: arn, domain: aws.ToString(d.DomainName), status: string(d.Status), inUseBy: d.InUseBy}
		for _, v := range d.DomainValidationOptions {
			if rr := v.ResourceRecord; rr != nil {
				c.records = append(c.records, Record{Name: aws.ToString(rr.Name), Type: string(rr.Type), Value: aws.ToString(rr.Value)})
			}
		}
		return !waitRecords || len(c.records) > 0 || c.status != string(acmtypes.CertificateStatusPendingValidation), nil
	}
	if !waitRecords {
		_, err := read(ctx)
		return c, err
	}
	ctx, cancel := context.WithTimeout(ctx, lb.o.Timeout)
	defer cancel()
	return c, poll.Until(ctx, "the validation record of certificate "+arn, lb.delays, read)
}

func (lb *LoadBalancer) requestCertificate(ctx context.Context, n names, spec Spec) (string, error) {
	var tags []acmtypes.Tag
	for _, t := range elbTags(n.tags(spec.Tags)) {
		tags = append(tags, acmtypes.Tag{Key: t.Key, Value: t.Value})
	}
	out, err := lb.c.ACM.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String(spec.Domain), ValidationMethod: acmtypes.ValidationMethodDns,
		IdempotencyToken: aws.String(idempotency()), Tags: tags,
	})
	if err != nil {
		return "", wrap(err, "request a certificate for %s", spec.Domain)
	}
	return aws.ToString(out.CertificateArn), nil
}

// deleteCertificate deletes a certificate, retrying while ACM still sees
// the deleted load balancer use it; gone already is success.
func (lb *LoadBalancer) deleteCertificate(ctx context.Context, arn string) error {
	ctx, cancel := context.WithTimeout(ctx, lb.o.Timeout)
	defer cancel()
	return poll.Until(ctx, "certificate "+arn+" to be released", lb.delays, func(ctx context.Context) (bool, error) {
		_, err := lb.c.ACM.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
		switch {
		case err == nil || awserr.Is(err, "ResourceNotFoundException"):
			return true, nil
		case awserr.Is(err, "ResourceInUseException"):
			return false, nil
		}
		return false, wrap(err, "delete certificate %s", arn)
	})
}
