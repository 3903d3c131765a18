// Package external is a project outside this repository that puts its
// own application on AWS with the mangaalert library's stack package: a
// web service always on, a fetch job every hour with an API key from
// Secrets Manager. Its test deploys it against the emulator.
package external

import (
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// APIKey is the secret the fetch job reads.
const APIKey = "weather/api-key"

// Spec is the weather application as a stack, named name.
func Spec(name, image string) stack.Spec {
	return stack.Spec{
		Stack: name,
		Image: image,
		Service: stack.Container{Name: "web", Command: []string{"/weather", "serve"},
			PortMappings: []stack.PortMapping{{ContainerPort: 8000, HostPort: 80}},
			HealthCheck:  &stack.HealthCheck{Command: []string{"CMD", "/weather", "healthcheck"}}},
		Jobs: []stack.Job{{
			Container: stack.Container{Name: "fetch", Command: []string{"/weather", "fetch"},
				Secrets: map[string]string{"WEATHER_API_KEY": APIKey}},
			Schedule: "rate(1 hour)",
			Zone:     "UTC",
		}},
		Secrets: []stack.Secret{{Name: APIKey, Description: "the weather service's API key", Generate: secrets.RandomPassword(32)}},
		Network: stack.Network{Ports: []int32{80}},
	}
}
