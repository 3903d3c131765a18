package stack

// Until secrets and schedule plan offline themselves (Options.Offline),
// their adapters plan on an account that holds nothing: a config whose
// clients never leave the process, answering every read "not found" and
// failing every write. Delete this file with those adapters' bodies.

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

var errOfflineWrite = errors.New("offline plan: nothing is sent to AWS")

// emptyAccount is an SDK config for an account that holds nothing.
func emptyAccount(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: aws.AnonymousCredentials{},
		APIOptions: []func(*middleware.Stack) error{func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("stackEmptyAccount",
				func(ctx context.Context, _ middleware.InitializeInput, _ middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return middleware.InitializeOutput{}, middleware.Metadata{}, emptyAnswer(middleware.GetOperationName(ctx))
				}), middleware.Before)
		}},
	}
}

// notFoundCodes are the "does not exist" answers of the reads the
// secrets' and schedules' Plans make.
var notFoundCodes = map[string]string{
	"GetScheduleGroup": "ResourceNotFoundException",
	"GetSchedule":      "ResourceNotFoundException",
	"GetRole":          "NoSuchEntity",
	"GetRolePolicy":    "NoSuchEntity",
	"DescribeSecret":   "ResourceNotFoundException",
	"GetSecretValue":   "ResourceNotFoundException",
	"GetQueueUrl":      "AWS.SimpleQueueService.NonExistentQueue",
}

func emptyAnswer(op string) error {
	if code, ok := notFoundCodes[op]; ok {
		return &smithy.GenericAPIError{Code: code, Message: "offline plan: an empty account has no such resource", Fault: smithy.FaultClient}
	}
	return fmt.Errorf("%s: %w", op, errOfflineWrite)
}
