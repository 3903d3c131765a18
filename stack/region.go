package stack

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// Regions are the AWS regions a stack can be applied in: the commercial
// ones, GovCloud and China, as of December 2026.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
	"eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
}

// RegionProblem says what is wrong with a region name, naming the
// nearest known one; "" for a known region. It calls nothing: a tool
// refuses a mistyped region before its first call.
func RegionProblem(name string) string {
	if slices.Contains(Regions, name) {
		return ""
	}
	best, dist := "", 1<<30
	for _, r := range Regions {
		if d := editDistance(strings.ToLower(name), r); d < dist {
			best, dist = r, d
		}
	}
	return fmt.Sprintf("%q is not an AWS region: did you mean %q? (regions look like eu-south-1, us-east-1)", name, best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// RegionFromEnvironment is the region the AWS tools would use when a
// configuration names none: AWS_REGION, AWS_DEFAULT_REGION, then the
// region of the profile (AWS_PROFILE, else "default") in the shared
// config file (AWS_CONFIG_FILE, else ~/.aws/config). "" when none says.
func RegionFromEnvironment(getenv func(string) string) string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	file := getenv("AWS_CONFIG_FILE")
	if file == "" && getenv("HOME") != "" {
		file = filepath.Join(getenv("HOME"), ".aws", "config")
	}
	if file == "" {
		return ""
	}
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	sc, err := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = []string{file}, []string{}
	})
	if err != nil {
		return ""
	}
	return sc.Region
}
