// Package ecslocal runs ECS task definitions in the local Docker engine the
// way the ECS agent runs them on an EC2 container instance: bridge network,
// the definition's port mappings, environment, `valueFrom` secrets read
// from Secrets Manager into the container's environment, the container
// health check with its intervals, the hard and soft memory limits, CPU
// shares, and the stop timeout (SIGTERM, then SIGKILL). Logs go to a
// writer (the terminal) instead of CloudWatch.
//
// Runner.Run is what `deploy local` does: the service's task keeps
// running, the jobs' tasks run once (or every Job.Every), and when the
// context ends every container it started is stopped and removed.
//
// What differs from ECS on purpose: published ports bind 127.0.0.1 unless
// Options.HostIP says otherwise (the agent binds every interface), a host
// port can be moved (Options.HostPorts) so a laptop's port 80 stays free,
// and the task role's credentials come from Options.Env (the agent serves
// them from its credentials endpoint; TODO: serve them the same way, so no
// key is ever in a container's environment).
package ecslocal
