package stack

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/manga-alert-italia/mangaalert/alerts"
	"github.com/manga-alert-italia/mangaalert/autoscale"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/loadbalancer"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// clients are the service clients of a Stack, all from one config. The
// packages get theirs from here; Status and the lookups by tag read
// through them directly.
type clients struct {
	ec2       *ec2.Client
	ecs       *ecs.Client
	asg       *autoscaling.Client
	iam       *iam.Client
	sts       *sts.Client
	secrets   *secretsmanager.Client
	ssm       *ssm.Client
	dynamo    *dynamodb.Client
	scheduler *scheduler.Client
	tagging   *resourcegroupstaggingapi.Client
	sqs       *sqs.Client
	host      ecshost.Clients
	alerts    alerts.Clients
	lb        loadbalancer.Clients
	scaling   autoscale.Clients
}

func newClients(cfg aws.Config) clients {
	return clients{
		ec2:       ec2.NewFromConfig(cfg),
		ecs:       ecs.NewFromConfig(cfg),
		asg:       autoscaling.NewFromConfig(cfg),
		iam:       iam.NewFromConfig(cfg),
		sts:       sts.NewFromConfig(cfg),
		secrets:   secretsmanager.NewFromConfig(cfg),
		ssm:       ssm.NewFromConfig(cfg),
		dynamo:    dynamodb.NewFromConfig(cfg),
		scheduler: scheduler.NewFromConfig(cfg),
		tagging:   resourcegroupstaggingapi.NewFromConfig(cfg),
		sqs:       sqs.NewFromConfig(cfg),
		host:      ecshost.ClientsFromConfig(cfg),
		alerts:    alerts.ClientsFromConfig(cfg),
		lb:        loadbalancer.ClientsFromConfig(cfg),
		scaling:   autoscale.ClientsFromConfig(cfg),
	}
}

func partition(region string) string { return resource.Partition(region) }
