package autoscale_test

import (
	"context"
	"fmt"
	"os"

	"github.com/manga-alert-italia/mangaalert/autoscale"
)

// Plan works without an AWS account: Options.Offline reads nothing.
func ExampleAutoscaler_Plan() {
	as := autoscale.New(autoscale.Clients{}, func(o *autoscale.Options) { o.Offline = true })
	plan, err := as.Plan(context.Background(), autoscale.Spec{
		Stack:   "mangaalert",
		Service: "mangaalert-serve",
		Tasks: &autoscale.Tasks{Min: 2, Max: 6, ResourceLabel: autoscale.LabelOf(
			"arn:aws:elasticloadbalancing:eu-south-1:123456789012:loadbalancer/app/mangaalert/50dc6c495c0c9188",
			"arn:aws:elasticloadbalancing:eu-south-1:123456789012:targetgroup/mangaalert-tg/73e2d6bc24d8a067")},
		Hosts: &autoscale.Hosts{GroupARN: "arn:aws:autoscaling:eu-south-1:123456789012:autoScalingGroup:0b5e:autoScalingGroupName/mangaalert-ecs-host"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = plan.Write(os.Stdout)
	// Output:
	// create scalable target service/mangaalert/mangaalert-serve: 2 to 6 tasks
	// create scaling policy mangaalert-tasks: target tracking ALBRequestCountPerTarget at 1000, cooldowns out 60s, in 300s
	// create capacity provider mangaalert-hosts: group arn:aws:autoscaling:eu-south-1:123456789012:autoScalingGroup:0b5e:autoScalingGroupName/mangaalert-ecs-host, managed scaling at 100%, managed termination protection
	// update cluster capacity providers mangaalert: mangaalert-hosts, the default strategy
	// note: the service scales between 2 and 6 tasks on ALBRequestCountPerTarget (target 1000): apply and deploy-image keep the count Application Auto Scaling set
	// note: capacity provider mangaalert-hosts: ECS scales the hosts' group to keep 100% of its capacity in use, and never stops an instance that runs a task of the service (managed termination protection)
}
