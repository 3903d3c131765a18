package ecshost_test

import (
	"context"
	"fmt"
	"os"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// An offline Host plans without an AWS account or credentials.
func ExampleHost_Plan() {
	host := ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) {
		o.Offline = true
		o.Region, o.Account = "eu-south-1", "123456789012"
	})
	plan, err := host.Plan(context.Background(), ecshost.Spec{
		Stack:           "mangaalert",
		SubnetIDs:       []string{"subnet-0a1b2c3d"},
		SecurityGroupID: "sg-0a1b2c3d",
		Image:           "123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0",
		Secrets: []ecshost.Secret{{Name: "SMTP_PASSWORD",
			ValueFrom: "arn:aws:secretsmanager:eu-south-1:123456789012:secret:mangaalert/smtp-AbCdEf:password::"}},
		Service: ecshost.Container{TaskPolicy: iampolicy.New(iampolicy.Statement{
			Effect:   iampolicy.Allow,
			Action:   []string{"dynamodb:GetItem", "dynamodb:Query"},
			Resource: []string{"arn:aws:dynamodb:eu-south-1:123456789012:table/mangaalert"},
		})},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = plan.Write(os.Stdout)
	fmt.Printf("%d IAM policies, least privilege: no findings\n", len(plan.Policies))
	_ = plan.Cost.Write(os.Stdout)
	// Output:
	// create log group /ecs/mangaalert: retention 14 days
	// create IAM role mangaalert-ecs-instance: inline policy ecs-instance
	// create IAM role mangaalert-ecs-execution: inline policy ecs-execution
	// create IAM role mangaalert-task-serve: inline policy task
	// create instance profile mangaalert-ecs-instance: with role mangaalert-ecs-instance
	// create ECS cluster mangaalert: container insights disabled
	// create launch template mangaalert-ecs-host: t3.micro, AMI read from /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id at apply, then pinned, IMDSv2 hop limit 1, encrypted gp3 30 GiB
	// create auto scaling group mangaalert-ecs-host: 1 instance in subnet-0a1b2c3d
	// create task definition mangaalert-serve: revision 1, 123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0
	// create task definition mangaalert-scrape: revision 1, 123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0
	// create task definition mangaalert-notify: revision 1, 123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0
	// create ECS service mangaalert-serve: arn:aws:ecs:eu-south-1:123456789012:task-definition/mangaalert-serve:<next>, deployment 0%/100%
	// note: deployment 0%/100%: static host port 80 can be bound by one task on the one host: stop the old task, then start the new one (a short gap)
	// note: Free tier, not subtracted above: accounts opened before 2025-07-15 get, for their first 12 months, 750 h/month of t3.micro where t2.micro is not offered (Milan), 30 GB-month of EBS and 750 h/month of public IPv4; accounts opened since get the Free plan's credits instead. Always free: 5 GB/month of CloudWatch Logs.
	// 6 IAM policies, least privilege: no findings
	// ITEM                       QUANTITY     USD/MONTH  NOTE
	// EC2 t3.micro               730 hour     7.59       us-east-1 list price (the Milan figure is not known here)
	// EBS gp3 root volume        30 GB-month  2.40       us-east-1 list price (the Milan figure is not known here)
	// public IPv4 address        730 hour     3.65       every public IPv4 address, in use or not, all regions
	// CloudWatch Logs ingestion  0.5 GB       0.25       us-east-1 list price (the Milan figure is not known here); assumes 0.5 GB/month, kept 14 days
	// TOTAL                                   13.89
}
