package iampolicy_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

const table = "arn:aws:dynamodb:eu-south-1:123456789012:table/mangaalert"

func allow(actions []string, resources ...string) iampolicy.Statement {
	return iampolicy.Statement{Effect: iampolicy.Allow, Action: actions, Resource: resources}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		doc  iampolicy.Document
		want []string // substrings of the findings, in order; none = clean
	}{
		{name: "named actions on named resources",
			doc: iampolicy.New(allow([]string{"dynamodb:GetItem", "dynamodb:PutItem"}, table, table+"/index/*"))},
		{name: "no-resource actions on star",
			doc: iampolicy.New(allow([]string{"ecs:DiscoverPollEndpoint", "ecr:GetAuthorizationToken"}, "*"))},
		{name: "case does not hide a no-resource action",
			doc: iampolicy.New(allow([]string{"ECS:discoverPollEndpoint"}, "*"))},
		{name: "star action",
			doc:  iampolicy.New(allow([]string{"*"}, table)),
			want: []string{`action "*": every action of every service`}},
		{name: "service star",
			doc:  iampolicy.New(allow([]string{"dynamodb:*"}, table)),
			want: []string{`"dynamodb:*": every action of dynamodb`}},
		{name: "star resource for actions that take one",
			doc:  iampolicy.New(allow([]string{"ecs:DiscoverPollEndpoint", "ses:SendEmail", "dynamodb:GetItem"}, "*")),
			want: []string{`resource "*" for dynamodb:GetItem, ses:SendEmail`}},
		{name: "whole-service ARN",
			doc:  iampolicy.New(allow([]string{"logs:PutLogEvents"}, "arn:aws:logs:*:*:*")),
			want: []string{`covers every resource of the service`}},
		{name: "NotAction and NotResource",
			doc:  iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow, NotAction: []string{"iam:*"}, NotResource: []string{table}}),
			want: []string{"NotAction", "NotResource"}},
		{name: "deny may be broad",
			doc: iampolicy.New(allow([]string{"ses:SendEmail"}, "arn:aws:ses:eu-south-1:123456789012:identity/example.com"),
				iampolicy.Statement{Effect: iampolicy.Deny, Action: []string{"*"}, Resource: []string{"*"}})},
		{name: "trust policy",
			doc: iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow, Action: []string{"sts:AssumeRole"},
				Principal: map[string]iampolicy.Strings{"Service": {"ecs-tasks.amazonaws.com"}}})},
		{name: "trust anyone",
			doc: iampolicy.New(iampolicy.Statement{Effect: iampolicy.Allow, Action: []string{"sts:AssumeRole"},
				Principal: map[string]iampolicy.Strings{"AWS": {"*"}}}),
			want: []string{`principal AWS "*"`}},
		{name: "old version and no resource",
			doc:  iampolicy.Document{Version: "2008-10-17", Statement: []iampolicy.Statement{{Effect: "Allow", Action: []string{"s3:GetObject"}}}},
			want: []string{"version", "no resource"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := iampolicy.Check("p", tt.doc)
			require.Len(t, got, len(tt.want), "%v", got)
			for i, w := range tt.want {
				assert.Contains(t, got[i].String(), w)
			}
			err := iampolicy.Err(got)
			if len(tt.want) == 0 {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, iampolicy.ErrTooBroad)
				var fe *iampolicy.FindingsError
				require.True(t, errors.As(err, &fe))
				assert.Len(t, fe.Findings, len(tt.want))
			}
		})
	}
}

func TestNoResourceActionsAreExplained(t *testing.T) {
	for a, why := range iampolicy.NoResourceActions {
		assert.Regexp(t, `^[a-z0-9-]+:[A-Z][A-Za-z]+$`, a)
		assert.NotEmpty(t, why, a)
	}
}

func TestParseRoundTrip(t *testing.T) {
	doc := iampolicy.New(allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, "arn:aws:logs:eu-south-1:1:log-group:/ecs/x:*"))
	for _, in := range []string{doc.JSON(), "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22logs%3ACreateLogStream%22%2C%22logs%3APutLogEvents%22%5D%2C%22Resource%22%3A%22arn%3Aaws%3Alogs%3Aeu-south-1%3A1%3Alog-group%3A%2Fecs%2Fx%3A%2A%22%7D%5D%7D"} {
		got, err := iampolicy.Parse(in)
		require.NoError(t, err)
		assert.True(t, iampolicy.Equal(doc, got), got.JSON())
	}
	_, err := iampolicy.Parse(`{"Statement": [{"Action": 3}]}`)
	assert.Error(t, err)
}

func ExampleCheck() {
	doc := iampolicy.New(iampolicy.Statement{
		Effect:   iampolicy.Allow,
		Action:   []string{"ses:SendEmail", "ecr:GetAuthorizationToken"},
		Resource: []string{"*"},
	})
	for _, f := range iampolicy.Check("task", doc) {
		fmt.Println(f)
	}
	// Output:
	// policy task, statement 0: resource "*" for ses:SendEmail, which support resource-level permissions; name the resources
}
