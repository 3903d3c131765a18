package ecshost

import (
	"regexp"
	"slices"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// SSMManagedPolicy is attached to the instance role when
// Spec.SessionManager is on: Session Manager instead of SSH. This is its
// ARN in the aws partition; China and GovCloud stacks get their own
// partition's.
const SSMManagedPolicy = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

// ssmManagedPolicy is SSMManagedPolicy in the stack's partition.
func (n names) ssmManagedPolicy() string {
	return resource.ARNIn(n.partition, "iam", "", "aws", "policy/AmazonSSMManagedInstanceCore")
}

// Inline policy names.
const (
	instancePolicyName  = "ecs-instance"
	executionPolicyName = "ecs-execution"
	taskPolicyName      = "task"
)

func trustEC2() iampolicy.Document {
	return iampolicy.New(iampolicy.Statement{
		Effect:    iampolicy.Allow,
		Principal: map[string]iampolicy.Strings{"Service": {"ec2.amazonaws.com"}},
		Action:    iampolicy.Strings{"sts:AssumeRole"},
	})
}

// trustECSTasks lets ECS tasks of this account, and only of this account,
// assume the role (the confused-deputy guard AWS recommends).
func trustECSTasks(n names) iampolicy.Document {
	return iampolicy.New(iampolicy.Statement{
		Effect:    iampolicy.Allow,
		Principal: map[string]iampolicy.Strings{"Service": {"ecs-tasks.amazonaws.com"}},
		Action:    iampolicy.Strings{"sts:AssumeRole"},
		Condition: map[string]map[string]iampolicy.Strings{
			"StringEquals": {"aws:SourceAccount": {n.account}},
			"ArnLike":      {"aws:SourceArn": {n.arn("ecs", n.region, "*")}},
		},
	})
}

// instancePolicy is AmazonEC2ContainerServiceforEC2Role cut down to this
// cluster: the agent registers, polls and reports state for this cluster
// only. Left out: ecs:CreateCluster (the cluster exists), ec2:DescribeTags
// (no tag propagation configured), and ECR pulls, which the agent makes with
// the task execution role. Logs stay: on the EC2 launch type the awslogs
// driver runs in the Docker daemon with the instance's credentials.
func instancePolicy(n names, allocationID string) iampolicy.Document {
	d := iampolicy.New(
		iampolicy.Statement{
			Sid:    "AgentDiscovery",
			Effect: iampolicy.Allow,
			// No resource type exists for it (iampolicy.NoResourceActions).
			Action:   iampolicy.Strings{"ecs:DiscoverPollEndpoint"},
			Resource: iampolicy.Strings{"*"},
		},
		iampolicy.Statement{
			Sid:    "AgentInThisCluster",
			Effect: iampolicy.Allow,
			// Registration and state changes name the cluster; polling and
			// telemetry name the container instance. Both ARNs are listed so
			// each action finds its resource type.
			Action: iampolicy.Strings{
				"ecs:DeregisterContainerInstance",
				"ecs:Poll",
				"ecs:RegisterContainerInstance",
				"ecs:StartTelemetrySession",
				"ecs:SubmitAttachmentStateChanges",
				"ecs:SubmitContainerStateChange",
				"ecs:SubmitTaskStateChange",
				"ecs:UpdateContainerInstancesState",
			},
			Resource: iampolicy.Strings{n.clusterARN(), n.containerInstancesARN()},
		},
		iampolicy.Statement{
			Sid:    "ReportOwnHealth",
			Effect: iampolicy.Allow,
			// The host's self-check (user data) reports it unhealthy to its
			// own group, named; the group's id part is not known in advance.
			Action:   iampolicy.Strings{"autoscaling:SetInstanceHealth"},
			Resource: iampolicy.Strings{n.arn("autoscaling", n.region, "autoScalingGroup:*:autoScalingGroupName/"+n.group())},
		},
		iampolicy.Statement{
			Sid:      "ContainerLogs",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Strings{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: iampolicy.Strings{n.logStreamsARN()},
		},
	)
	if allocationID != "" {
		d.Statement = append(d.Statement, iampolicy.Statement{
			Sid:    "TakeTheStackAddress",
			Effect: iampolicy.Allow,
			// The address is named; the instance side must be any instance
			// of the account, since the next one's ID is not known yet.
			Action:   iampolicy.Strings{"ec2:AssociateAddress"},
			Resource: iampolicy.Strings{n.eipARN(allocationID), n.arn("ec2", n.region, "instance/*"), n.arn("ec2", n.region, "network-interface/*")},
		})
	}
	return d
}

// executionPolicy lets the agent start the containers: pull their images
// from ECR (when they are there), write their logs, and read exactly the
// secrets they reference.
func executionPolicy(n names, s Spec) iampolicy.Document {
	var st []iampolicy.Statement
	if repos := ecrRepositories(s); len(repos) > 0 {
		st = append(st,
			iampolicy.Statement{
				Sid:      "RegistryLogin",
				Effect:   iampolicy.Allow,
				Action:   iampolicy.Strings{"ecr:GetAuthorizationToken"}, // registry-wide, no resource type
				Resource: iampolicy.Strings{"*"},
			},
			iampolicy.Statement{
				Sid:      "PullTheImage",
				Effect:   iampolicy.Allow,
				Action:   iampolicy.Strings{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
				Resource: repos,
			})
	}
	st = append(st, iampolicy.Statement{
		Sid:      "ContainerLogs",
		Effect:   iampolicy.Allow,
		Action:   iampolicy.Strings{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: iampolicy.Strings{n.logStreamsARN()},
	})
	secrets, params := secretARNs(s), parameterARNs(s)
	if len(secrets) > 0 {
		st = append(st, iampolicy.Statement{
			Sid:      "ReferencedSecrets",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Strings{"secretsmanager:GetSecretValue"},
			Resource: secrets,
		})
	}
	var via iampolicy.Strings
	if len(secrets) > 0 {
		via = append(via, "secretsmanager."+n.region+".amazonaws.com")
	}
	if len(params) > 0 {
		// SecureString parameters: the agent reads them with GetParameters
		// (WithDecryption); the AWS managed key aws/ssm needs no grant.
		st = append(st, iampolicy.Statement{
			Sid:      "ReferencedParameters",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Strings{"ssm:GetParameters"},
			Resource: params,
		})
		via = append(via, "ssm."+n.region+".amazonaws.com")
	}
	if s.KMSKeyARN != "" && len(via) > 0 {
		st = append(st, iampolicy.Statement{
			Sid:      "SecretsKey",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Strings{"kms:Decrypt"},
			Resource: iampolicy.Strings{s.KMSKeyARN},
			// Only when Secrets Manager or Parameter Store decrypts on
			// the agent's behalf.
			Condition: map[string]map[string]iampolicy.Strings{
				"StringEquals": {"kms:ViaService": via},
			},
		})
	}
	return iampolicy.New(st...)
}

// secretARNs returns the secret ARNs the containers reference, without
// their JSON keys, sorted and deduplicated.
func secretARNs(s Spec) []string {
	var out []string
	for _, c := range s.containers() {
		for _, sec := range c.Secrets {
			if arn, err := SecretARN(sec.ValueFrom); err == nil {
				out = append(out, arn)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parameterARNs returns the SSM parameter ARNs the containers
// reference, sorted and deduplicated.
func parameterARNs(s Spec) []string {
	var out []string
	for _, c := range s.containers() {
		for _, sec := range c.Secrets {
			if IsParameterARN(sec.ValueFrom) {
				out = append(out, sec.ValueFrom)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var ecrImageRE = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([^:@]+)`)

// ecrRepositories returns the ARNs of the private ECR repositories the
// containers' images live in, sorted and deduplicated.
func ecrRepositories(s Spec) []string {
	var out []string
	for _, c := range s.containers() {
		m := ecrImageRE.FindStringSubmatch(c.Image)
		if m == nil {
			continue
		}
		// A China endpoint (….amazonaws.com.cn) is in a cn- region, so the
		// region names the partition.
		out = append(out, resource.ARN("ecr", m[3], m[1], "repository/"+m[5]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
