package ecslocal

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// The paths the deploy tool's end-to-end test does not take, in real
// containers: a process that ignores SIGTERM is killed after its stop
// timeout (137), and a job that fails is an error with its logs printed.
// The image is the moto image CI builds (integration/docker-moto-image.sh):
// any image with python3 would do.
func TestRunnerInDocker(t *testing.T) {
	ctx := context.Background()
	cli, err := client.New(client.FromEnv)
	if err == nil {
		_, err = cli.ImageInspect(ctx, integration.LocalMotoImage)
	}
	if err != nil {
		integration.SkipOrFail(t, "no Docker engine or no %s (%v): run integration/docker-moto-image.sh", integration.LocalMotoImage, err)
	}
	defer cli.Close()
	py := func(family, code string, stop int32) *ecstypes.TaskDefinition {
		return &ecstypes.TaskDefinition{Family: aws.String(family), NetworkMode: ecstypes.NetworkModeBridge,
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(family), Image: aws.String(integration.LocalMotoImage),
				EntryPoint: []string{"/python3", "-u", "-c", code}, Memory: aws.Int32(64), StopTimeout: aws.Int32(stop)}}}
	}
	var out lockedBuffer
	r := New(cli, nil, func(o *Options) { o.Out = &out })
	t.Cleanup(func() { _ = r.Close(context.Background()) })

	err = r.RunOnce(ctx, py("ecslocal-test-fails", "import sys; print('bye'); sys.exit(3)", 1))
	require.ErrorContains(t, err, "ecslocal-test-fails exited with status 3")
	assert.Contains(t, out.String(), "ecslocal-test-fails | bye", "the job's log lines")

	c, err := r.Start(ctx, py("ecslocal-test-stubborn",
		"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up'); time.sleep(600)", 1))
	require.NoError(t, err)
	for !bytes.Contains([]byte(out.String()), []byte("ecslocal-test-stubborn | up")) {
		time.Sleep(100 * time.Millisecond) // SIGTERM must arrive after the handler is set
	}
	st, err := r.Stop(ctx, c)
	require.NoError(t, err)
	assert.Equal(t, 137, st.ExitCode, "killed after its stop timeout")
	assert.Contains(t, out.String(), "exit status 137")
	_, err = cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	assert.Error(t, err, "removed")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
