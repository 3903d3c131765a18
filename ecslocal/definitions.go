package ecslocal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// DescribeAPI is the ECS call that reads a registered task definition.
type DescribeAPI interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// Definitions returns, for each planned definition, the latest ACTIVE
// revision of its family (what apply registered), or the planned one when
// the family has none (nothing applied yet) or when planned is forced
// (api nil). The order is kept.
func Definitions(ctx context.Context, api DescribeAPI, planned []*ecs.RegisterTaskDefinitionInput) ([]*ecstypes.TaskDefinition, error) {
	out := make([]*ecstypes.TaskDefinition, 0, len(planned))
	for _, in := range planned {
		if api == nil {
			out = append(out, FromInput(in))
			continue
		}
		got, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: in.Family})
		var ae smithy.APIError
		switch {
		case errors.As(err, &ae) && ae.ErrorCode() == "ClientException" && strings.Contains(ae.ErrorMessage(), "Unable to describe"):
			out = append(out, FromInput(in)) // ECS's answer for a family with no ACTIVE revision
		case err != nil:
			return nil, fmt.Errorf("read task definition %s: %w", aws.ToString(in.Family), err)
		case got.TaskDefinition == nil || got.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive:
			out = append(out, FromInput(in))
		default:
			out = append(out, got.TaskDefinition)
		}
	}
	return out, nil
}
