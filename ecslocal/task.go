package ecslocal

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// The ECS agent's defaults for what a definition leaves unset.
const (
	// DefaultStopTimeout is ECS_CONTAINER_STOP_TIMEOUT's default.
	DefaultStopTimeout = 30 * time.Second
	// The health check's defaults (ECS HealthCheck documentation).
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// FromInput is the task definition a RegisterTaskDefinition input would
// register: what runs when nothing is registered yet (Revision 0).
func FromInput(in *ecs.RegisterTaskDefinitionInput) *ecstypes.TaskDefinition {
	return &ecstypes.TaskDefinition{
		Family:               in.Family,
		ContainerDefinitions: in.ContainerDefinitions,
		NetworkMode:          in.NetworkMode,
		TaskRoleArn:          in.TaskRoleArn,
		ExecutionRoleArn:     in.ExecutionRoleArn,
	}
}

// Name is how a task definition is shown: family:revision, or family
// (unregistered) for one built from an input.
func Name(td *ecstypes.TaskDefinition) string {
	if td.Revision == 0 {
		return aws.ToString(td.Family) + " (unregistered)"
	}
	return aws.ToString(td.Family) + ":" + strconv.Itoa(int(td.Revision))
}

// createOptions is what the agent would ask Docker for, for one container
// of a task definition: env holds the definition's environment with the
// secrets already resolved and Options.Env applied.
func (o *Options) createOptions(td *ecstypes.TaskDefinition, def ecstypes.ContainerDefinition, env map[string]string) (container.Config, container.HostConfig, error) {
	var cfg container.Config
	var hc container.HostConfig
	switch td.NetworkMode {
	case ecstypes.NetworkModeBridge, "":
		hc.NetworkMode = "bridge"
	case ecstypes.NetworkModeHost:
		hc.NetworkMode = "host"
	default:
		return cfg, hc, fmt.Errorf("%s: network mode %s is not run locally: only bridge and host (the EC2 launch type's modes)", Name(td), td.NetworkMode)
	}
	cfg.Image = aws.ToString(def.Image)
	if cfg.Image == "" {
		return cfg, hc, fmt.Errorf("%s: container %s has no image", Name(td), aws.ToString(def.Name))
	}
	cfg.Cmd = def.Command
	cfg.Entrypoint = def.EntryPoint
	cfg.WorkingDir = aws.ToString(def.WorkingDirectory)
	cfg.User = aws.ToString(def.User)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cfg.Env = append(cfg.Env, k+"="+env[k])
	}
	stop := int(DefaultStopTimeout.Seconds())
	if def.StopTimeout != nil {
		stop = int(*def.StopTimeout)
	}
	cfg.StopTimeout = &stop

	cfg.ExposedPorts = network.PortSet{}
	hc.PortBindings = network.PortMap{}
	hostIP, err := netip.ParseAddr(o.HostIP)
	if err != nil {
		return cfg, hc, fmt.Errorf("host IP %q: %w", o.HostIP, err)
	}
	for _, pm := range def.PortMappings {
		proto := network.TCP
		if pm.Protocol == ecstypes.TransportProtocolUdp {
			proto = network.UDP
		}
		p, ok := network.PortFrom(uint16(aws.ToInt32(pm.ContainerPort)), proto)
		if !ok {
			return cfg, hc, fmt.Errorf("%s: container port %d", Name(td), aws.ToInt32(pm.ContainerPort))
		}
		host := aws.ToInt32(pm.HostPort) // 0: a dynamic port, as in bridge mode on ECS
		if h, ok := o.HostPorts[host]; ok && host != 0 {
			host = h
		}
		b := network.PortBinding{HostIP: hostIP}
		if host != 0 {
			b.HostPort = strconv.Itoa(int(host))
		}
		cfg.ExposedPorts[p] = struct{}{}
		hc.PortBindings[p] = append(hc.PortBindings[p], b)
	}

	if h := def.HealthCheck; h != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test:        h.Command,
			Interval:    seconds(h.Interval, defaultHealthInterval),
			Timeout:     seconds(h.Timeout, defaultHealthTimeout),
			StartPeriod: seconds(h.StartPeriod, 0),
			Retries:     int(aws.ToInt32(h.Retries)),
		}
		if h.Retries == nil {
			cfg.Healthcheck.Retries = defaultHealthRetries
		}
	}
	// Memory is the hard limit, MemoryReservation the soft one (Docker's
	// --memory and --memory-reservation); CPU units are CPU shares, at
	// least 2 as the agent sets them.
	hc.Memory = int64(aws.ToInt32(def.Memory)) << 20
	hc.MemoryReservation = int64(aws.ToInt32(def.MemoryReservation)) << 20
	if def.Cpu > 0 {
		hc.CPUShares = int64(max(def.Cpu, 2))
	}
	hc.ExtraHosts = o.ExtraHosts
	hc.Init = nil // the agent adds no init unless linuxParameters.initProcessEnabled
	if lp := def.LinuxParameters; lp != nil && aws.ToBool(lp.InitProcessEnabled) {
		hc.Init = aws.Bool(true)
	}
	cfg.Labels = map[string]string{labelRun: o.runID, labelFamily: aws.ToString(td.Family), labelContainer: aws.ToString(def.Name)}
	return cfg, hc, nil
}

func seconds(v *int32, def time.Duration) time.Duration {
	if v == nil || *v == 0 {
		return def
	}
	return time.Duration(*v) * time.Second
}

// Labels on every container a Runner starts.
const (
	labelRun       = "mangaalert.ecslocal.run"
	labelFamily    = "mangaalert.ecslocal.family"
	labelContainer = "mangaalert.ecslocal.container"
)
