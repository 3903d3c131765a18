package loadbalancer_test

import (
	"context"
	"fmt"
	"os"

	"github.com/manga-alert-italia/mangaalert/loadbalancer"
)

// Plan works without an AWS account: Options.Offline reads nothing.
func ExampleLoadBalancer_Plan() {
	lb := loadbalancer.New(loadbalancer.Clients{}, func(o *loadbalancer.Options) { o.Offline = true })
	plan, err := lb.Plan(context.Background(), loadbalancer.Spec{Stack: "mangaalert", VPCID: "vpc-1",
		SubnetIDs: []string{"subnet-a", "subnet-b"}, SecurityGroupID: "sg-alb", Domain: "manga.example.it"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = plan.Write(os.Stdout)
	fmt.Printf("%.2f USD a month\n", plan.Cost.Total())
	// Output:
	// create certificate manga.example.it: ACM, DNS validation: publish the CNAME record apply prints
	// create load balancer mangaalert: internet-facing application, subnets subnet-a,subnet-b, security group sg-alb
	// create target group mangaalert-tg: HTTP to the instances' dynamic ports, health check GET /readyz → 200; deregistration delay 30s
	// create listener HTTP:80: forward to mangaalert-tg until the certificate is issued, then redirect to HTTPS
	// note: certificate for manga.example.it: apply requests it from ACM and prints the CNAME record to publish at your DNS host; until it is issued the load balancer serves plain HTTP, and the apply after that adds HTTPS and the redirect
	// note: point manga.example.it at the load balancer's DNS name (apply and status print it) with a CNAME (a Route 53 alias at a zone apex); the hosts take traffic only from the load balancer
	// 23.78 USD a month
}
