package ecshost

import "fmt"

// Deployment is the rolling-deployment setting chosen for the service.
type Deployment struct {
	MinimumHealthyPercent int32
	MaximumPercent        int32
	Why                   string
}

func (d Deployment) String() string {
	return fmt.Sprintf("%d%%/%d%%: %s", d.MinimumHealthyPercent, d.MaximumPercent, d.Why)
}

// staticHostPort returns the first fixed host port the service publishes
// (0 when all are dynamic or there are none).
func (s Spec) staticHostPort() int32 {
	if s.awsvpc() { // each task its own address: no host port to share
		return 0
	}
	for _, pm := range s.Service.PortMappings {
		if pm.HostPort != 0 {
			return pm.HostPort
		}
	}
	return 0
}

// serviceCopies is how many service tasks run at once during a rollout.
func (s Spec) serviceCopies() int {
	if s.awsvpc() {
		return int(s.awsvpcDeployment().MaximumPercent / 100)
	}
	if s.staticHostPort() != 0 {
		return 1
	}
	return 2 * s.tasksPerHost() // managed.go
}

// deployment chooses the percentages from the port mappings: on one host a
// fixed host port can be bound by one task only, so the old task must stop
// before the new one starts; with dynamic ports both run side by side.
func (s Spec) deployment() Deployment {
	if s.awsvpc() {
		return s.awsvpcDeployment()
	}
	if p := s.staticHostPort(); p != 0 {
		return Deployment{0, 100, fmt.Sprintf(
			"static host port %d can be bound by one task on the one host: stop the old task, then start the new one (a short gap)", p)}
	}
	return Deployment{100, 200, "dynamic host ports: the new task starts next to the old one, which stops once the new one is healthy (no gap)"}
}
