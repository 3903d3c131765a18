package autoscale_test

import (
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/manga-alert-italia/mangaalert/autoscale"
)

// The real clients satisfy the package's interfaces.
var (
	_ autoscale.AppAutoScalingAPI = (*aas.Client)(nil)
	_ autoscale.ECSAPI            = (*ecs.Client)(nil)
)
