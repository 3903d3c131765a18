package ecshost

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"text/template"
	"time"
)

//go:embed userdata.sh.tmpl
var userDataText string

var userDataTemplate = template.Must(template.New("userdata").Option("missingkey=error").Parse(userDataText))

// UserData is what the host's boot script is rendered from.
type UserData struct {
	Stack             string
	Cluster           string
	Region            string
	StopTimeout       time.Duration
	ReservedMemoryMiB int32
	// AllocationID of the stack's Elastic IP; empty: no association.
	AllocationID string
	// Group is the host's Auto Scaling group, which the host tells when
	// its ECS agent or Docker has not answered for UnhealthyAfter.
	Group string
	// InstallAgent installs and starts ecs-init: the standard AL2023 AMI
	// has no agent, the ECS-optimized one does.
	InstallAgent bool
}

// UnhealthyAfter is how long the ECS agent or Docker may not answer
// before the host reports itself unhealthy to its group.
const UnhealthyAfter = 5 * time.Minute

// IMDSBlockRule is the iptables rule the user data installs.
const IMDSBlockRule = "iptables --insert DOCKER-USER 1 --in-interface docker+ --destination 169.254.169.254/32 --jump DROP"

// Render returns the script.
func (u UserData) Render() (string, error) {
	var b bytes.Buffer
	data := struct {
		UserData
		StopTimeout, UnhealthyAfter string
		UnhealthySeconds            int
	}{u, u.StopTimeout.String(), UnhealthyAfter.String(), int(UnhealthyAfter / time.Second)}
	if err := userDataTemplate.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render user data: %w", err)
	}
	return b.String(), nil
}

func (r *run) userData() (string, error) {
	s, err := UserData{
		Stack:             r.n.stack,
		Cluster:           r.n.cluster(),
		Region:            r.n.region,
		StopTimeout:       r.spec.ContainerStopTimeout,
		ReservedMemoryMiB: ReservedMemoryMiB,
		AllocationID:      r.allocationID(),
		Group:             r.n.group(),
		InstallAgent:      !r.spec.ECSOptimizedAMI,
	}.Render()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}
