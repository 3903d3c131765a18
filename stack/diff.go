package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Drift is how the account differs from a Spec: the plan's changes that
// are more than a Keep, and the resources tagged as the stack's that no
// part of the plan names.
type Drift struct {
	Changes []change.Change
	// Unknown are the ARNs tagged mangaalert:stack=STACK that the
	// configuration no longer describes.
	Unknown []string
}

// ErrDrift is what Drift.Write returns when something differs, after
// writing it: a tool exits with its own status for it.
var ErrDrift = errors.New("stack: the account differs from the configuration")

// Drifted reports whether anything differs.
func (d *Drift) Drifted() bool { return len(d.Changes) > 0 || len(d.Unknown) > 0 }

// Write prints what differs, resource by resource, or that nothing does;
// it returns ErrDrift when something does.
func (d *Drift) Write(w io.Writer) error {
	var b strings.Builder
	if !d.Drifted() {
		b.WriteString("No drift: the account matches the configuration.\n")
	}
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "differs: %s\n", c)
	}
	for _, arn := range d.Unknown {
		fmt.Fprintf(&b, "not in the configuration: %s (tagged %s but nothing plans it; destroy, or delete it by hand)\n", arn, resource.TagStack)
	}
	if d.Drifted() {
		fmt.Fprintf(&b, "\n%s; apply puts the planned ones back as configured.\n", Tally(d.Changes, false))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if d.Drifted() {
		return ErrDrift
	}
	return nil
}

// made is what AWS makes on a stack's behalf and tags as the stack's,
// which no plan names: the host's instance and its disks and interfaces,
// and the revisions a task definition leaves behind.
var made = []string{":instance/", ":volume/", ":network-interface/", ":task-definition/", ":task/", ":container-instance/"}

// Diff compares the account with spec through the same plans Apply
// follows: it only reads.
func (s *Stack) Diff(ctx context.Context, spec Spec) (*Drift, error) {
	if s.o.Offline {
		return nil, ErrOffline
	}
	p, err := s.Plan(ctx, spec)
	if err != nil {
		return nil, err
	}
	d := &Drift{}
	for _, c := range p.Changes {
		if c.Action != change.Keep {
			d.Changes = append(d.Changes, c)
		}
	}
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(s.cl.tagging, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []rgttypes.TagFilter{{Key: aws.String(resource.TagStack), Values: []string{spec.Stack}}}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the resources tagged %s=%s: %w", resource.TagStack, spec.Stack, err)
		}
		for _, r := range page.ResourceTagMappingList {
			arn := aws.ToString(r.ResourceARN)
			if !slices.ContainsFunc(made, func(m string) bool { return strings.Contains(arn, m) }) && !planned(p.Changes, arn) {
				d.Unknown = append(d.Unknown, arn)
			}
		}
	}
	slices.Sort(d.Unknown)
	return d, nil
}

// planned reports whether a change of the plan is the resource at arn, by
// its ID or its name.
func planned(cs []change.Change, arn string) bool {
	for _, c := range cs {
		for _, k := range []string{c.ID, c.Name} {
			if k != "" && (arn == k || strings.HasSuffix(arn, "/"+k) || strings.HasSuffix(arn, ":"+k)) {
				return true
			}
		}
	}
	return false
}
