// Package loadbalancer puts an internet-facing Application Load Balancer in
// front of a stack's ECS service when it runs on more than one host: the
// load balancer in the public subnets, an ACM certificate for the domain
// (DNS-validated), an HTTPS listener forwarding to a target group of the
// instances' dynamic host ports, and an HTTP listener redirecting to HTTPS.
//
// Use it as the other infrastructure packages:
//
//	lb := loadbalancer.New(loadbalancer.ClientsFromConfig(cfg))
//	plan, err := lb.Plan(ctx, spec)    // *change.Plan: every resource, the notes, the monthly cost
//	state, err := lb.Ensure(ctx, spec) // state.TargetGroupARN goes to the ECS service; state.ValidationRecords to the DNS
//	changes, err := lb.Delete(ctx, "mangaalert")
//
// The ECS service registers its tasks in the target group itself (the
// service's loadBalancers, through the ECS service-linked role): nothing
// here registers targets. The hosts' security group admits only the load
// balancer's (package network makes both).
//
// # The certificate
//
// Ensure requests the certificate with DNS validation and returns the CNAME
// record to publish (State.ValidationRecords; Status and Plan's notes say
// it too). An HTTPS listener needs an issued certificate, so until ACM
// issues it the HTTP listener forwards to the targets; the first Ensure
// after the issue adds the HTTPS listener and turns HTTP into a permanent
// redirect. A changed Domain requests a new certificate; the old one
// serves until the new one is issued, then is deleted.
//
// Everything carries the tags resource.TagStack and resource.TagComponent
// ("loadbalancer"); resources are found by name (STACK, STACK-tg) and
// tags, and a name taken by something untagged is an error, never
// modified.
//
// # Errors
//
// ErrInvalidSpec (one *SpecError per problem, before any call),
// resource.ErrNotOurs (a name taken by a resource without the stack's
// tags), ErrCertificate (the certificate failed validation or expired),
// ErrOffline. AWS errors are wrapped with what was being done.
//
// # Permissions
//
// elasticloadbalancing: CreateLoadBalancer, DescribeLoadBalancers,
// SetSubnets, SetSecurityGroups, DeleteLoadBalancer, CreateTargetGroup,
// DescribeTargetGroups, ModifyTargetGroup, ModifyTargetGroupAttributes,
// DescribeTargetHealth, DeleteTargetGroup, CreateListener,
// DescribeListeners, ModifyListener, DeleteListener, DescribeTags and
// AddTags (also checked for the tags of a Create), on
// arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/STACK/*,
// targetgroup/STACK-tg/* and listener/app/STACK/* (the Describe calls take
// no resource). acm: RequestCertificate, AddTagsToCertificate (tags of the
// request), DescribeCertificate, ListCertificates, ListTagsForCertificate
// and DeleteCertificate (certificate/* of the account: ACM names
// certificates by random IDs). No IAM role is created: the ECS
// service-linked role AWSServiceRoleForECS registers the tasks.
package loadbalancer
