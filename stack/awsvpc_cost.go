package stack

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Fargate on x86 (the image without arm64), the figure since the price
// cut of that date.
var (
	FargateX86VCPUPrice = cost.Price{USD: 0.04048, Unit: "vCPU-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2019-01-07", Region: cost.USEast1}
	FargateX86GBPrice = cost.Price{USD: 0.004445, Unit: "GB-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2019-01-07", Region: cost.USEast1}
)

// fargatePrices are the vCPU and memory prices of the jobs' Fargate
// tasks: Spot (x86 only), Graviton when the image is built for arm64,
// else x86.
func fargatePrices(spec Spec) (vcpu, gb cost.Price, what string) {
	switch {
	case spec.JobsOn == JobsOnFargateSpot:
		return FargateSpotVCPUPrice, FargateSpotGBPrice, "Fargate Spot, x86"
	case len(spec.Host.ImageArch) == 0 || slices.Contains(spec.Host.ImageArch, "arm64"):
		return FargateVCPUPrice, FargateGBPrice, "Fargate, arm64"
	}
	return FargateX86VCPUPrice, FargateX86GBPrice, "Fargate, x86"
}

// fargateJobsCost prices the jobs on Fargate (JobsOn), per run and a
// month: the task's size (0.25 vCPU, 0.5 GB) for each run's assumed
// length (JobRunTime, one minute at least), and in the public subnets
// the public IPv4 a run holds. Nothing when the jobs run on the hosts.
func fargateJobsCost(spec Spec) cost.Estimate {
	if !spec.jobsOnFargate() {
		return nil
	}
	vcpu, gb, what := fargatePrices(spec)
	hours, _ := jobHours(spec)
	var perRun []string
	for _, j := range spec.Jobs {
		d := max(cmpOr(JobRunTime[j.Name], defaultJobRunTime), time.Minute)
		usd := d.Hours() * (fargateVCPU*vcpu.USD + fargateGB*gb.USD)
		if spec.jobsPublic() {
			usd += d.Hours() * publicIPv4Price.USD
		}
		perRun = append(perRun, fmt.Sprintf("%s %.0f runs × %s, %.4f USD a run", j.Name, runsPerMonth(j), d, usd))
	}
	runs := strings.Join(perRun, "; ")
	e := cost.Estimate{
		{Item: "Fargate vCPU, jobs", Quantity: fargateVCPU * hours, Price: vcpu, Note: fmt.Sprintf("%s, %g vCPU a run: %s (assumed run times)", what, fargateVCPU, runs)},
		{Item: "Fargate memory, jobs", Quantity: fargateGB * hours, Price: gb, Note: fmt.Sprintf("%g GB a run", fargateGB)},
	}
	if spec.jobsPublic() {
		e = append(e, cost.Line{Item: "public IPv4 of the job tasks", Quantity: hours, Price: publicIPv4Price,
			Note: "while a job runs, in a public subnet (no NAT)"})
	}
	return e
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
