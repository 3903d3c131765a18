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
		TasksAtOnce: 1, // scrape and notify are scheduled apart
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
	// create launch template mangaalert-ecs-host: t4g.nano, AMI read from /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64 at apply, then pinned, IMDSv2 hop limit 1, encrypted gp3 8 GiB
	// create auto scaling group mangaalert-ecs-host: 1 instance in subnet-0a1b2c3d
	// create task definition mangaalert-serve: revision 1, 123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0
	// create task definition mangaalert-scrape: revision 1, 123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0
	// create task definition mangaalert-notify: revision 1, 123456789012.dkr.ecr.eu-south-1.amazonaws.com/mangaalert:1.0.0
	// create ECS service mangaalert-serve: arn:aws:ecs:eu-south-1:123456789012:task-definition/mangaalert-serve:<next>, deployment 0%/100%
	// note: deployment 0%/100%: static host port 80 can be bound by one task on the one host: stop the old task, then start the new one (a short gap)
	// note: Free tier, not subtracted above: accounts opened before 2025-07-15 get, for their first 12 months, 750 h/month of t3.micro where t2.micro is not offered (Milan), 30 GB-month of EBS and 750 h/month of public IPv4; accounts opened since get the Free plan's credits instead. Always free: 5 GB/month of CloudWatch Logs.
	// note: memory on t4g.nano: 512 MiB - 64 kernel - 208 agent, Docker and OS = 240 MiB for tasks; at once: service ×1 and 1 scheduled task(s), hard limits 192 MiB, soft 96 MiB: fits
	// note: arm64 sizes the containers fit on: t4g.nano, t4g.micro, t4g.small, t4g.medium
	// 6 IAM policies, least privilege: no findings
	// ITEM                       QUANTITY    USD/MONTH  PRICE AS OF                  NOTE
	// EC2 t4g.nano on-demand     730 hour    3.07       us-east-1 figure 2020-09-14  512 MiB, arm64; burstable in standard credit mode
	// EBS gp3 root volume        8 GB-month  0.64       us-east-1 figure 2020-12-01  standard AL2023 AMI, ecs-init installed at boot
	// public IPv4 address        730 hour    3.65       all regions 2024-02-01       every public IPv4 address, in use or not
	// CloudWatch Logs ingestion  0 GB        0.00       us-east-1 figure 2014-07-10  0.5 GB/month assumed, within the 5 GB always free; kept 14 days (storage 0.23 GB-month, also free)
	// TOTAL                                  7.36
}
