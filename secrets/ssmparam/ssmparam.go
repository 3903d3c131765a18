// Package ssmparam keeps a stack's secrets as SSM Parameter Store
// SecureString parameters: the option beside package secrets (Secrets
// Manager) that costs nothing for standard parameters, where Secrets
// Manager bills 0.40 USD a secret a month. ECS injects both the same way
// (a container's valueFrom takes the parameter's ARN); what Parameter
// Store lacks is rotation with staged versions (AWSCURRENT/AWSPREVIOUS).
//
// It has the shape of the other infrastructure packages: New, then Plan,
// Ensure and Delete on a Spec, speaking package change's vocabulary. Each
// parameter is named /STACK/NAME and tagged mangaalert:stack; a parameter
// under that name without the tag is never touched (resource.ErrNotOurs).
// Ensure writes a value only when the parameter is missing, or with
// Overwrite; values never appear in changes, errors or logs.
//
// Permissions: ssm:GetParameter, PutParameter, AddTagsToResource,
// ListTagsForResource, GetParametersByPath and DeleteParameters on
// arn:aws:ssm:REGION:ACCOUNT:parameter/STACK/*, plus kms:Encrypt with a
// customer key.
package ssmparam

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// Kind is the change kind of a parameter.
const Kind = "SSM parameter"

// ErrOffline is returned by Ensure and Delete on an offline Params.
var ErrOffline = errors.New("ssmparam: offline: only Plan works without AWS")

// API is the part of the SSM client Params uses.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	ListTagsForResource(ctx context.Context, in *ssm.ListTagsForResourceInput, optFns ...func(*ssm.Options)) (*ssm.ListTagsForResourceOutput, error)
	AddTagsToResource(ctx context.Context, in *ssm.AddTagsToResourceInput, optFns ...func(*ssm.Options)) (*ssm.AddTagsToResourceOutput, error)
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	DeleteParameters(ctx context.Context, in *ssm.DeleteParametersInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error)
}

// Options tune a Params.
type Options struct {
	// Offline: Plan reads nothing (every parameter is created); Ensure
	// and Delete return ErrOffline.
	Offline bool
	// Partition, Region and Account make the ARNs of planned parameters.
	Partition, Region, Account string
}

// Params creates and deletes a stack's SecureString parameters.
type Params struct {
	c API
	o Options
}

// New returns a Params working through client (nil when Offline).
func New(client API, optFns ...func(*Options)) *Params {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	return &Params{c: client, o: o}
}

// Spec is the desired set of parameters of one stack.
type Spec struct {
	Stack      string
	Parameters []Parameter
	// KMSKeyID encrypts the values; empty: the AWS managed key aws/ssm.
	KMSKeyID string
}

// Parameter is one SecureString. Its name is /STACK/Name.
type Parameter struct {
	Name        string
	Description string
	Value       secrets.Value     // the value to write; zero: Generate
	Generate    secrets.Generator // makes the first value when Value is zero
	Overwrite   bool              // write Value even when the parameter exists
}

// State is what Ensure did and the parameters' ARNs by Parameter.Name.
type State struct {
	ARNs    map[string]string
	Changes []change.Change
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)

// FullName is the parameter's name in Parameter Store.
func FullName(stack, name string) string { return "/" + stack + "/" + name }

// ARN is a parameter's ARN, what a container's valueFrom takes.
func ARN(partition, region, account, stack, name string) string {
	return resource.ARNIn(partition, "ssm", region, account, "parameter"+FullName(stack, name))
}

func (s Spec) check() error {
	var errs []error
	if s.Stack == "" || !nameRE.MatchString(s.Stack) {
		errs = append(errs, fmt.Errorf("stack %q: letters, digits, _ . - only", s.Stack))
	}
	seen := map[string]bool{}
	for _, p := range s.Parameters {
		switch {
		case !nameRE.MatchString(p.Name) || len(FullName(s.Stack, p.Name)) > 1011:
			errs = append(errs, fmt.Errorf("parameter name %q: letters, digits, _ . - and / between them", p.Name))
		case seen[p.Name]:
			errs = append(errs, fmt.Errorf("parameter %q is given twice", p.Name))
		case p.Value.IsZero() && p.Generate == nil:
			errs = append(errs, fmt.Errorf("parameter %q has neither a value nor a generator", p.Name))
		}
		seen[p.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", secrets.ErrInvalid, err)
	}
	return nil
}

// step is one parameter's planned change and the write that makes it.
type step struct {
	param  string // Parameter.Name
	change change.Change
	write  func(ctx context.Context) error
}

// Plan says what Ensure would do, reading each parameter once.
func (ps *Params) Plan(ctx context.Context, spec Spec) (*change.Plan, error) {
	steps, _, err := ps.steps(ctx, spec)
	if err != nil {
		return nil, err
	}
	p := &change.Plan{Component: "ssmparam", Offline: ps.o.Offline}
	for _, s := range steps {
		p.Changes = append(p.Changes, s.change)
	}
	return p, nil
}

// Ensure creates the missing parameters (and overwrites those asked),
// after checking every one is ours; a second call writes nothing.
func (ps *Params) Ensure(ctx context.Context, spec Spec) (*State, error) {
	if ps.o.Offline {
		return nil, ErrOffline
	}
	steps, arns, err := ps.steps(ctx, spec)
	if err != nil {
		return nil, err
	}
	st := &State{ARNs: arns}
	for _, s := range steps {
		if s.write == nil {
			continue
		}
		if err := s.write(ctx); err != nil {
			return st, err
		}
		if s.change.Action == change.Create { // its ARN, as Parameter Store spells it
			got, err := ps.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.change.Name)})
			if err != nil {
				return st, fmt.Errorf("read parameter %s back: %w", s.change.Name, err)
			}
			s.change.ID = aws.ToString(got.Parameter.ARN)
			st.ARNs[s.param] = s.change.ID
		}
		st.Changes = append(st.Changes, s.change)
	}
	return st, nil
}

func (ps *Params) steps(ctx context.Context, spec Spec) ([]step, map[string]string, error) {
	if err := spec.check(); err != nil {
		return nil, nil, err
	}
	arns := map[string]string{}
	var out []step
	for _, p := range spec.Parameters {
		full := FullName(spec.Stack, p.Name)
		arn := ARN(ps.o.Partition, ps.o.Region, ps.o.Account, spec.Stack, p.Name)
		exists := false
		if !ps.o.Offline {
			got, err := ps.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(full)})
			switch {
			case awserr.Is(err, "ParameterNotFound"):
			case err != nil:
				return nil, nil, fmt.Errorf("read parameter %s: %w", full, err)
			default:
				exists, arn = true, aws.ToString(got.Parameter.ARN)
				if err := ps.ours(ctx, full, spec.Stack); err != nil {
					return nil, nil, err
				}
			}
		}
		arns[p.Name] = arn
		switch {
		case exists && !p.Overwrite:
			out = append(out, step{change: change.Change{Action: change.Keep, Kind: Kind, Name: full, ID: arn}})
		case exists:
			out = append(out, step{change: change.Change{Action: change.Update, Kind: Kind, Name: full, ID: arn, Details: []string{"new value"}},
				write: ps.put(spec, p, full, true)})
		default:
			detail := "SecureString, generated value"
			if !p.Value.IsZero() {
				detail = "SecureString, given value"
			}
			out = append(out, step{param: p.Name, change: change.Change{Action: change.Create, Kind: Kind, Name: full, Details: []string{detail}},
				write: ps.put(spec, p, full, false)})
		}
	}
	return out, arns, nil
}

// ours fails with resource.ErrNotOurs when the parameter lacks the stack's tag.
func (ps *Params) ours(ctx context.Context, full, stack string) error {
	tags, err := ps.c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String(full)})
	if err != nil {
		return fmt.Errorf("read the tags of parameter %s: %w", full, err)
	}
	for _, t := range tags.TagList {
		if aws.ToString(t.Key) == resource.TagStack && aws.ToString(t.Value) == stack {
			return nil
		}
	}
	return fmt.Errorf("parameter %s %w: delete or rename it, or choose another stack", full, resource.ErrNotOurs)
}

func (ps *Params) put(spec Spec, p Parameter, full string, overwrite bool) func(context.Context) error {
	return func(ctx context.Context) error {
		v := p.Value
		if v.IsZero() {
			var err error
			if v, err = p.Generate(); err != nil {
				return fmt.Errorf("generate the value of %s: %w", full, err)
			}
		}
		in := &ssm.PutParameterInput{Name: aws.String(full), Type: types.ParameterTypeSecureString, Value: aws.String(v.Reveal()),
			Tier: types.ParameterTierStandard, Description: aws.String(p.Description)}
		if spec.KMSKeyID != "" {
			in.KeyId = aws.String(spec.KMSKeyID)
		}
		if overwrite {
			in.Overwrite = aws.Bool(true) // Parameter Store takes no tags with Overwrite: they are there already
		} else {
			in.Tags = []types.Tag{{Key: aws.String(resource.TagStack), Value: aws.String(spec.Stack)},
				{Key: aws.String(resource.TagComponent), Value: aws.String("ssmparam")}}
		}
		if _, err := ps.c.PutParameter(ctx, in); err != nil {
			return fmt.Errorf("write parameter %s: %w", full, err) // the SDK's error never holds the value
		}
		return nil
	}
}

// Delete removes every parameter under /STACK/ that carries the stack's
// tag; nil when there is none.
func (ps *Params) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if ps.o.Offline {
		return nil, ErrOffline
	}
	var names []string
	var arns []string
	pg := ssm.NewGetParametersByPathPaginator(ps.c, &ssm.GetParametersByPathInput{Path: aws.String("/" + stack + "/"), Recursive: aws.Bool(true)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list parameters under /%s/: %w", stack, err)
		}
		for _, p := range out.Parameters {
			full := aws.ToString(p.Name)
			if err := ps.ours(ctx, full, stack); errors.Is(err, resource.ErrNotOurs) {
				continue // left alone
			} else if err != nil {
				return nil, err
			}
			names, arns = append(names, full), append(arns, aws.ToString(p.ARN))
		}
	}
	var done []change.Change
	for i := 0; i < len(names); i += 10 { // DeleteParameters takes ten at a time
		batch := names[i:min(i+10, len(names))]
		if _, err := ps.c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: batch}); err != nil {
			return done, fmt.Errorf("delete parameters %v: %w", batch, err)
		}
		for j, n := range batch {
			done = append(done, change.Change{Action: change.Delete, Kind: Kind, Name: n, ID: arns[i+j]})
		}
	}
	return done, nil
}
