package ecslocal

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/moby/moby/api/types/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

func TestMain(m *testing.M) { integration.Main(m) }

func serveDef() ecstypes.ContainerDefinition {
	return ecstypes.ContainerDefinition{
		Name: aws.String("serve"), Image: aws.String("mangaalert:dev"), Command: []string{"serve"},
		Memory: aws.Int32(128), MemoryReservation: aws.Int32(64), Cpu: 1, StopTimeout: aws.Int32(10),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(80), Protocol: ecstypes.TransportProtocolTcp}},
		HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD", "/mangaalert", "healthcheck"},
			Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(3), StartPeriod: aws.Int32(10)},
	}
}

func TestCreateOptions(t *testing.T) {
	td := FromInput(&ecs.RegisterTaskDefinitionInput{Family: aws.String("s-serve"), NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{serveDef()}})
	for _, tc := range []struct {
		name  string
		o     Options
		edit  func(*ecstypes.TaskDefinition)
		check func(t *testing.T, err error, o Options)
	}{
		{name: "as the agent", o: Options{HostIP: "127.0.0.1"}, check: func(t *testing.T, err error, o Options) {
			require.NoError(t, err)
		}},
		{name: "awsvpc refused", o: Options{HostIP: "127.0.0.1"}, edit: func(td *ecstypes.TaskDefinition) { td.NetworkMode = ecstypes.NetworkModeAwsvpc },
			check: func(t *testing.T, err error, _ Options) { assert.ErrorContains(t, err, "network mode awsvpc") }},
		{name: "no image", o: Options{HostIP: "127.0.0.1"}, edit: func(td *ecstypes.TaskDefinition) { td.ContainerDefinitions[0].Image = nil },
			check: func(t *testing.T, err error, _ Options) { assert.ErrorContains(t, err, "has no image") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td := *td
			td.ContainerDefinitions = []ecstypes.ContainerDefinition{serveDef()}
			if tc.edit != nil {
				tc.edit(&td)
			}
			_, _, err := tc.o.createOptions(&td, td.ContainerDefinitions[0], map[string]string{"B": "2", "A": "1"})
			tc.check(t, err, tc.o)
		})
	}

	o := Options{HostIP: "127.0.0.1", HostPorts: map[int32]int32{80: 0}, ExtraHosts: []string{"host.docker.internal:host-gateway"}, runID: "r1"}
	cfg, hc, err := o.createOptions(td, td.ContainerDefinitions[0], map[string]string{"B": "2", "A": "1"})
	require.NoError(t, err)
	assert.Equal(t, "bridge", string(hc.NetworkMode), "bridge, as the task definition says")
	assert.Equal(t, []string{"serve"}, cfg.Cmd, "the image's entrypoint, the definition's command")
	assert.Equal(t, []string{"A=1", "B=2"}, cfg.Env)
	assert.Equal(t, 10, *cfg.StopTimeout)
	p := network.MustParsePort("8080/tcp")
	assert.Contains(t, cfg.ExposedPorts, p)
	require.Len(t, hc.PortBindings[p], 1)
	assert.Equal(t, "127.0.0.1", hc.PortBindings[p][0].HostIP.String())
	assert.Equal(t, "", hc.PortBindings[p][0].HostPort, "host port 80 moved to a free one")
	assert.Equal(t, int64(128<<20), hc.Memory, "hard limit")
	assert.Equal(t, int64(64<<20), hc.MemoryReservation, "soft limit")
	assert.Equal(t, int64(2), hc.CPUShares, "CPU units as shares, at least 2")
	require.NotNil(t, cfg.Healthcheck)
	assert.Equal(t, []string{"CMD", "/mangaalert", "healthcheck"}, cfg.Healthcheck.Test)
	assert.Equal(t, 5*time.Second, cfg.Healthcheck.Interval)
	assert.Equal(t, 2*time.Second, cfg.Healthcheck.Timeout)
	assert.Equal(t, 10*time.Second, cfg.Healthcheck.StartPeriod)
	assert.Equal(t, 3, cfg.Healthcheck.Retries)
	assert.Equal(t, []string{"host.docker.internal:host-gateway"}, hc.ExtraHosts)
	assert.Equal(t, "r1", cfg.Labels[labelRun])

	// What the definition leaves unset takes the agent's defaults.
	def := serveDef()
	def.StopTimeout, def.HealthCheck.Interval, def.HealthCheck.Timeout, def.HealthCheck.Retries = nil, nil, nil, nil
	def.PortMappings[0].HostPort = aws.Int32(80)
	o.HostPorts = nil
	cfg, hc, err = o.createOptions(td, def, nil)
	require.NoError(t, err)
	assert.Equal(t, int(DefaultStopTimeout.Seconds()), *cfg.StopTimeout)
	assert.Equal(t, 30*time.Second, cfg.Healthcheck.Interval)
	assert.Equal(t, 5*time.Second, cfg.Healthcheck.Timeout)
	assert.Equal(t, 3, cfg.Healthcheck.Retries)
	assert.Equal(t, "80", hc.PortBindings[p][0].HostPort, "the definition's host port")
}

// The secrets are read from the emulator's Secrets Manager with the real
// SDK client, as the agent reads them.
func TestResolveSecrets(t *testing.T) {
	cfg := integration.Config(t, integration.SecretsManager)
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(cfg)
	plain, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s/key"), SecretString: aws.String("k3y")})
	require.NoError(t, err)
	js, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s/smtp"), SecretString: aws.String(`{"password":"pw","port":587}`)})
	require.NoError(t, err)
	r := &secretResolver{api: sm, known: map[string]string{"arn:aws:secretsmanager:eu-south-1:123456789012:secret:s/new-xxxxxx": "planned"}}
	for _, tc := range []struct {
		valueFrom, want, wantErr string
	}{
		{valueFrom: aws.ToString(plain.ARN), want: "k3y"},
		{valueFrom: aws.ToString(plain.ARN) + "::AWSCURRENT:", want: "k3y"},
		{valueFrom: aws.ToString(js.ARN) + ":password::", want: "pw"},
		{valueFrom: aws.ToString(js.ARN) + ":port::", want: "587"},
		{valueFrom: aws.ToString(js.ARN) + ":user::", wantErr: "has no key user"},
		{valueFrom: "arn:aws:secretsmanager:eu-south-1:123456789012:secret:s/new-xxxxxx", want: "planned"},
		{valueFrom: "arn:aws:secretsmanager:eu-south-1:123456789012:secret:s/gone-AbCdEf", wantErr: "apply the stack first"},
		{valueFrom: "s/key", wantErr: "want a full secret ARN"},
	} {
		t.Run(tc.valueFrom, func(t *testing.T) {
			got, err := r.resolve(ctx, tc.valueFrom)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.NotContains(t, err.Error(), "k3y")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEvery(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		want    time.Duration
		wantErr string
	}{
		{expr: "rate(6 hours)", want: 6 * time.Hour},
		{expr: "rate(1 minute)", want: time.Minute},
		{expr: "cron(0 6 * * ? *)", wantErr: "only rate(...) schedules repeat locally"},
		{expr: "every 6h", wantErr: "every 6h"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := Every(tc.expr)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestStackOptionsFlags(t *testing.T) {
	var so StackOptions
	require.NoError(t, so.Publish("80=8080"))
	require.NoError(t, so.Publish("443=0"))
	assert.Equal(t, map[int32]int32{80: 8080, 443: 0}, so.HostPorts)
	assert.ErrorContains(t, so.Publish("80"), "want HOSTPORT=LOCALPORT")
	assert.ErrorContains(t, so.Publish("80=x"), "want HOSTPORT=LOCALPORT")
	require.NoError(t, so.SetEnv("A=b=c"))
	assert.Equal(t, map[string]string{"A": "b=c"}, so.Env)
	assert.ErrorContains(t, so.SetEnv("=x"), "want KEY=VALUE")

	for _, tc := range []struct{ endpoint, container, want string }{
		{"http://127.0.0.1:5000", "", "http://host.docker.internal:5000"},
		{"http://localhost:4566/", "", "http://host.docker.internal:4566/"},
		{"http://10.0.0.5:5000", "", "http://10.0.0.5:5000"},
		{"http://127.0.0.1:5000", "http://172.17.0.2:5000", "http://172.17.0.2:5000"},
		{"", "", ""},
	} {
		so := StackOptions{Endpoint: tc.endpoint, ContainerEndpoint: tc.container}
		assert.Equal(t, tc.want, so.containerEndpoint(), "%+v", tc)
	}
}
