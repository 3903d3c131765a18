package alerts

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sesv2types "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// mailEventTypes are what the configuration set publishes: what hurts the
// account's reputation, and what the backend acts on.
var mailEventTypes = []sestypes.EventType{sestypes.EventTypeBounce, sestypes.EventTypeComplaint, sestypes.EventTypeReject}

// suppressed are the reasons an address goes on the account's
// suppression list, after which SES no longer sends to it.
var suppressed = []sesv2types.SuppressionListReason{sesv2types.SuppressionListReasonBounce, sesv2types.SuppressionListReasonComplaint}

func (a *Alerts) mailSteps(ctx context.Context, s Spec) ([]engine.Step, error) {
	want := s.MailEvents != nil
	w := topicWant{name: MailTopicName(s.Stack), want: want}
	set := ConfigurationSetName(s.Stack)
	setARN := a.arn("ses", "configuration-set/"+set)
	w.policy = map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
		publishStatement("ConfigurationSet", "ses.amazonaws.com", a.arn("sns", w.name), a.o.Account, setARN)}}
	if want && s.MailEvents.Endpoint != "" {
		u, _ := url.Parse(s.MailEvents.Endpoint)
		w.protocol, w.endpoint = u.Scheme, s.MailEvents.Endpoint
	}
	steps, err := a.topicSteps(ctx, s, w)
	if err != nil {
		return nil, err
	}
	cs, err := a.configSetSteps(ctx, s, set)
	if err != nil {
		return nil, err
	}
	return append(steps, cs...), nil
}

func (a *Alerts) configSetSteps(ctx context.Context, s Spec, set string) ([]engine.Step, error) {
	want := s.MailEvents != nil
	tags := a.tags(s)
	dest := sestypes.EventDestination{Name: aws.String(MailTopicName(s.Stack)), Enabled: true, MatchingEventTypes: mailEventTypes,
		SNSDestination: &sestypes.SNSDestination{TopicARN: aws.String(a.arn("sns", MailTopicName(s.Stack)))}}
	setARN := a.arn("ses", "configuration-set/"+set)
	createSet := newStep(change.Create, KindConfigSet, set, "", []string{"bounced and complaining addresses go on the account's suppression list"}, func(ctx context.Context) error {
		var t []sesv2types.Tag
		for _, k := range sortedKeys(tags) {
			t = append(t, sesv2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		}
		_, err := a.c.SESv2.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(set), Tags: t,
			SuppressionOptions: &sesv2types.SuppressionOptions{SuppressedReasons: suppressed}})
		return err
	})
	putDest := func(ctx context.Context) error {
		_, err := a.c.SES.CreateConfigurationSetEventDestination(ctx, &ses.CreateConfigurationSetEventDestinationInput{ConfigurationSetName: aws.String(set), EventDestination: &dest})
		if !awserr.Is(err, "EventDestinationAlreadyExists") {
			return err
		}
		// Made by this very call, whose answer was lost and which the SDK
		// sent again, or (on the emulator, which keeps destinations after
		// their set is deleted) left by a set of the same name: done if it
		// is the one wanted.
		d, derr := a.c.SES.DescribeConfigurationSet(ctx, &ses.DescribeConfigurationSetInput{ConfigurationSetName: aws.String(set),
			ConfigurationSetAttributeNames: []sestypes.ConfigurationSetAttribute{sestypes.ConfigurationSetAttributeEventDestinations}})
		if derr == nil && slices.ContainsFunc(d.EventDestinations, func(e sestypes.EventDestination) bool { return sameDestination(e, dest) }) {
			return nil
		}
		return err
	}
	destName := set + "/" + MailTopicName(s.Stack)
	createDest := newStep(change.Create, KindDestination, destName, "", []string{"bounces, complaints and rejects → " + MailTopicName(s.Stack)}, putDest)
	if a.o.Offline {
		if !want {
			return nil, nil
		}
		return []engine.Step{createSet, createDest}, nil
	}
	// SES v1 reads the set and its destinations in one call; SES v2's
	// GetConfigurationSet would give the suppression options too, but
	// the emulator answers it with a body the SDK cannot decode.
	d, err := a.c.SES.DescribeConfigurationSet(ctx, &ses.DescribeConfigurationSetInput{ConfigurationSetName: aws.String(set),
		ConfigurationSetAttributeNames: []sestypes.ConfigurationSetAttribute{sestypes.ConfigurationSetAttributeEventDestinations}})
	switch {
	case awserr.Is(err, "NotFoundException", "ConfigurationSetDoesNotExist", "ConfigurationSetDoesNotExistException"):
		if !want {
			return nil, nil
		}
		return []engine.Step{createSet, createDest}, nil
	case err != nil:
		return nil, fmt.Errorf("read SES configuration set %s: %w", set, err)
	}
	tl, err := a.c.SESv2.ListTagsForResource(ctx, &sesv2.ListTagsForResourceInput{ResourceArn: aws.String(setARN)})
	if err != nil {
		return nil, fmt.Errorf("read the tags of SES configuration set %s: %w", set, err)
	}
	have := map[string]string{}
	for _, t := range tl.Tags {
		have[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	switch {
	case !ours(have, s.Stack) && want:
		return nil, notOurs(KindConfigSet, set, s.Stack)
	case !ours(have, s.Stack):
		return nil, nil
	case !want:
		return []engine.Step{newStep(change.Delete, KindConfigSet, set, setARN, []string{"with its event destinations"}, func(ctx context.Context) error {
			_, err := a.c.SESv2.DeleteConfigurationSet(ctx, &sesv2.DeleteConfigurationSetInput{ConfigurationSetName: aws.String(set)})
			if awserr.Is(err, "NotFoundException") {
				return nil
			}
			return err
		})}, nil
	}
	// TODO: compare the set's suppression options (GetConfigurationSet)
	// once the emulator answers it in a shape the SDK decodes; until then
	// a set changed by hand keeps its options.
	steps := []engine.Step{keep(KindConfigSet, set, setARN)}
	for _, e := range d.EventDestinations {
		if aws.ToString(e.Name) != aws.ToString(dest.Name) {
			continue
		}
		if sameDestination(e, dest) {
			return append(steps, keep(KindDestination, destName, "")), nil
		}
		// TODO: update a drifted destination in place
		// (UpdateConfigurationSetEventDestination); until then it is
		// reported, and deleting the configuration set fixes it.
		return nil, fmt.Errorf("SES event destination %s differs from the configuration (enabled, topic %s, events %v): delete configuration set %s (destroy, or the SES console) and apply again",
			destName, aws.ToString(dest.SNSDestination.TopicARN), mailEventTypes, set)
	}
	return append(steps, createDest), nil
}

// sameDestination tells whether an event destination is the wanted one:
// same name, enabled, the same topic and events.
func sameDestination(have, want sestypes.EventDestination) bool {
	return aws.ToString(have.Name) == aws.ToString(want.Name) && have.Enabled && have.SNSDestination != nil && want.SNSDestination != nil &&
		aws.ToString(have.SNSDestination.TopicARN) == aws.ToString(want.SNSDestination.TopicARN) &&
		sameReasons(have.MatchingEventTypes, want.MatchingEventTypes)
}

func sameReasons[T ~string](have, want []T) bool {
	h, w := slices.Clone(have), slices.Clone(want)
	slices.Sort(h)
	slices.Sort(w)
	return slices.Equal(h, w)
}
