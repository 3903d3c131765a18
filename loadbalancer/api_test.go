package loadbalancer_test

import (
	"github.com/aws/aws-sdk-go-v2/service/acm"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/manga-alert-italia/mangaalert/loadbalancer"
)

// The interfaces are subsets of the real clients, signatures copied.
var (
	_ loadbalancer.ELBAPI = (*elb.Client)(nil)
	_ loadbalancer.ACMAPI = (*acm.Client)(nil)
)
