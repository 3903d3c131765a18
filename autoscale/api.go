package autoscale

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// AppAutoScalingAPI is the part of the Application Auto Scaling client the
// package uses.
type AppAutoScalingAPI interface {
	RegisterScalableTarget(ctx context.Context, params *aas.RegisterScalableTargetInput, optFns ...func(*aas.Options)) (*aas.RegisterScalableTargetOutput, error)
	DescribeScalableTargets(ctx context.Context, params *aas.DescribeScalableTargetsInput, optFns ...func(*aas.Options)) (*aas.DescribeScalableTargetsOutput, error)
	DeregisterScalableTarget(ctx context.Context, params *aas.DeregisterScalableTargetInput, optFns ...func(*aas.Options)) (*aas.DeregisterScalableTargetOutput, error)
	PutScalingPolicy(ctx context.Context, params *aas.PutScalingPolicyInput, optFns ...func(*aas.Options)) (*aas.PutScalingPolicyOutput, error)
	DescribeScalingPolicies(ctx context.Context, params *aas.DescribeScalingPoliciesInput, optFns ...func(*aas.Options)) (*aas.DescribeScalingPoliciesOutput, error)
	DeleteScalingPolicy(ctx context.Context, params *aas.DeleteScalingPolicyInput, optFns ...func(*aas.Options)) (*aas.DeleteScalingPolicyOutput, error)
}

// ECSAPI is the part of the ECS client the package uses.
type ECSAPI interface {
	CreateCapacityProvider(ctx context.Context, params *ecs.CreateCapacityProviderInput, optFns ...func(*ecs.Options)) (*ecs.CreateCapacityProviderOutput, error)
	DescribeCapacityProviders(ctx context.Context, params *ecs.DescribeCapacityProvidersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeCapacityProvidersOutput, error)
	UpdateCapacityProvider(ctx context.Context, params *ecs.UpdateCapacityProviderInput, optFns ...func(*ecs.Options)) (*ecs.UpdateCapacityProviderOutput, error)
	DeleteCapacityProvider(ctx context.Context, params *ecs.DeleteCapacityProviderInput, optFns ...func(*ecs.Options)) (*ecs.DeleteCapacityProviderOutput, error)
	DescribeClusters(ctx context.Context, params *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	PutClusterCapacityProviders(ctx context.Context, params *ecs.PutClusterCapacityProvidersInput, optFns ...func(*ecs.Options)) (*ecs.PutClusterCapacityProvidersOutput, error)
}

// Clients are the two service clients an Autoscaler works through. An
// offline Autoscaler (Options.Offline) needs neither.
type Clients struct {
	AppAutoScaling AppAutoScalingAPI
	ECS            ECSAPI
}

// ClientsFromConfig builds both clients from cfg.
func ClientsFromConfig(cfg aws.Config) Clients {
	return Clients{AppAutoScaling: aas.NewFromConfig(cfg), ECS: ecs.NewFromConfig(cfg)}
}
