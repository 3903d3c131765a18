package ecshost

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Version descriptions record what a template version was made from:
// "mangaalert <hash> ami-from <SSM parameter or "spec">". The hash tells
// Ensure whether the version is current without comparing every field
// (AWS and emulators fill in defaults differently), the AMI source whether
// the pinned AMI still matches the instance type's architecture.
const versionPrefix = "mangaalert "

func versionDescription(hash, amiFrom string) string {
	return versionPrefix + hash + " ami-from " + amiFrom
}

func parseVersionDescription(d string) (hash, amiFrom string) {
	rest, ok := strings.CutPrefix(d, versionPrefix)
	if !ok {
		return "", ""
	}
	hash, amiFrom, _ = strings.Cut(rest, " ami-from ")
	return hash, amiFrom
}

// launchTemplateSteps ensures the template the group launches from. Each
// change is a new version, made the default; the group then points at it.
func (r *run) launchTemplateSteps(ctx context.Context) ([]engine.Step, error) {
	name := r.n.launchTemplate()
	tmpl, current, err := r.observeTemplate(ctx)
	if err != nil {
		return nil, err
	}
	ami, amiFrom, err := r.ami(ctx, current)
	if err != nil {
		return nil, err
	}
	r.st.AMI = ami
	shown := ami
	if r.offline && shown == "" {
		shown = "read from " + AMIParameter(r.spec.InstanceType, r.spec.ECSOptimizedAMI) + " at apply, then pinned"
	}
	detail := fmt.Sprintf("%s, AMI %s, IMDSv2 hop limit 1, encrypted gp3 %d GiB", r.spec.InstanceType, shown, r.spec.RootVolumeGiB)
	if tmpl == nil {
		r.newTemplate = true
		r.st.LaunchTemplateVersion = 1
		return []engine.Step{create(kindLaunchTemplate, name, []string{detail}, func(ctx context.Context) error {
			return r.createTemplate(ctx, ami, amiFrom)
		})}, nil
	}
	r.st.LaunchTemplateID = aws.ToString(tmpl.LaunchTemplateId)
	data, err := r.templateData(ami)
	if err != nil {
		return nil, err
	}
	if current != nil {
		if h, _ := parseVersionDescription(aws.ToString(current.VersionDescription)); h == hashOf(data) {
			r.st.LaunchTemplateVersion = aws.ToInt64(current.VersionNumber)
			return []engine.Step{{Change: keepChange(kindLaunchTemplate, name, r.st.LaunchTemplateID,
				detail+", version "+strconv.FormatInt(r.st.LaunchTemplateVersion, 10))}}, nil
		}
	}
	// The next version's number, for the group's diff; the Apply sets
	// the number AWS gives.
	r.newTemplate = true
	r.st.LaunchTemplateVersion = aws.ToInt64(tmpl.LatestVersionNumber) + 1
	var e edits
	e.add("new version: "+detail, func(ctx context.Context) error { return r.newTemplateVersion(ctx, ami, amiFrom) })
	return []engine.Step{e.step(kindLaunchTemplate, name, r.st.LaunchTemplateID)}, nil
}

// observeTemplate reads the template and its default version (nil, nil
// when there is none).
func (r *run) observeTemplate(ctx context.Context) (*ec2types.LaunchTemplate, *ec2types.LaunchTemplateVersion, error) {
	if r.offline {
		return nil, nil, nil
	}
	tmpl, err := r.h.findTemplate(ctx, r.n)
	if err != nil || tmpl == nil {
		return nil, nil, err
	}
	name := r.n.launchTemplate()
	if !r.n.ours(ec2TagMap(tmpl.Tags)) {
		return nil, nil, notOurs(kindLaunchTemplate, name)
	}
	v, err := r.h.c.EC2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: tmpl.LaunchTemplateId, Versions: []string{"$Default"},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("describe default version of launch template %q: %w", name, err)
	}
	if len(v.LaunchTemplateVersions) == 0 {
		return tmpl, nil, nil
	}
	return tmpl, &v.LaunchTemplateVersions[0], nil
}

func (h *Host) findTemplate(ctx context.Context, n names) (*ec2types.LaunchTemplate, error) {
	out, err := h.c.EC2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{n.launchTemplate()}})
	switch {
	case awserr.Is(err, "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound"):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describe launch template %q: %w", n.launchTemplate(), err)
	case len(out.LaunchTemplates) == 0:
		return nil, nil
	}
	return &out.LaunchTemplates[0], nil
}

// createTemplate makes the template from what earlier steps made (the
// instance profile, the address).
func (r *run) createTemplate(ctx context.Context, ami, amiFrom string) error {
	name := r.n.launchTemplate()
	data, err := r.templateData(ami)
	if err != nil {
		return err
	}
	out, err := r.h.c.EC2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(name),
		VersionDescription: aws.String(versionDescription(hashOf(data), amiFrom)),
		LaunchTemplateData: data,
		TagSpecifications:  []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeLaunchTemplate, Tags: ec2Tags(r.tags())}},
	})
	if err != nil {
		return fmt.Errorf("create launch template %q: %w", name, err)
	}
	r.st.LaunchTemplateID = aws.ToString(out.LaunchTemplate.LaunchTemplateId)
	r.st.LaunchTemplateVersion = aws.ToInt64(out.LaunchTemplate.LatestVersionNumber)
	return nil
}

// newTemplateVersion makes a new version the default. Every field is
// passed: versions are not based on a source version (and moto ignores
// SourceVersion anyway).
func (r *run) newTemplateVersion(ctx context.Context, ami, amiFrom string) error {
	name := r.n.launchTemplate()
	data, err := r.templateData(ami)
	if err != nil {
		return err
	}
	id := aws.String(r.st.LaunchTemplateID)
	v, err := r.h.c.EC2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: id, VersionDescription: aws.String(versionDescription(hashOf(data), amiFrom)), LaunchTemplateData: data,
	})
	if err != nil {
		return fmt.Errorf("create version of launch template %q: %w", name, err)
	}
	version := aws.ToInt64(v.LaunchTemplateVersion.VersionNumber)
	_, err = r.h.c.EC2.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{
		LaunchTemplateId: id, DefaultVersion: aws.String(strconv.FormatInt(version, 10)),
	})
	if err != nil {
		return fmt.Errorf("make version %d the default of launch template %q: %w", version, name, err)
	}
	r.st.LaunchTemplateVersion = version
	return nil
}

// ami returns the AMI to launch and where it came from: the Spec's, the
// current version's (pinned), or the SSM parameter's when there is no
// version yet, RefreshAMI is set, or the architecture changed. Offline,
// with no AMI in the Spec, it is "" (read at apply).
func (r *run) ami(ctx context.Context, current *ec2types.LaunchTemplateVersion) (string, string, error) {
	if r.spec.AMI != "" {
		return r.spec.AMI, "spec", nil
	}
	param := AMIParameter(r.spec.InstanceType, r.spec.ECSOptimizedAMI)
	if r.offline {
		return "", param, nil
	}
	if current != nil && current.LaunchTemplateData != nil && !r.spec.RefreshAMI {
		_, from := parseVersionDescription(aws.ToString(current.VersionDescription))
		if id := aws.ToString(current.LaunchTemplateData.ImageId); from == param && id != "" {
			return id, param, nil
		}
	}
	out, err := r.h.c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		return "", "", fmt.Errorf("read the AMI from SSM %s: %w", param, err)
	}
	id := aws.ToString(out.Parameter.Value)
	if !strings.HasPrefix(id, "ami-") {
		return "", "", fmt.Errorf("SSM %s holds %q, not an AMI ID", param, id)
	}
	return id, param, nil
}

// templateData is the whole launch template data: IMDSv2 only with one hop
// (a bridge-mode container is one hop further and cannot get a token),
// encrypted gp3 root, a public address (public subnet, no NAT), the host
// security group, the instance profile, and the boot script.
func (r *run) templateData(ami string) (*ec2types.RequestLaunchTemplateData, error) {
	userData, err := r.userData()
	if err != nil {
		return nil, err
	}
	d := &ec2types.RequestLaunchTemplateData{
		ImageId:            aws.String(ami),
		InstanceType:       ec2types.InstanceType(r.spec.InstanceType),
		IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Arn: aws.String(r.st.InstanceProfileARN)},
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpEndpoint:            ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled,
			HttpTokens:              ec2types.LaunchTemplateHttpTokensStateRequired,
			HttpPutResponseHopLimit: aws.Int32(1),
		},
		BlockDeviceMappings: []ec2types.LaunchTemplateBlockDeviceMappingRequest{{
			DeviceName: aws.String("/dev/xvda"),
			Ebs: &ec2types.LaunchTemplateEbsBlockDeviceRequest{
				VolumeSize:          aws.Int32(r.spec.RootVolumeGiB),
				VolumeType:          ec2types.VolumeTypeGp3,
				Encrypted:           aws.Bool(true),
				DeleteOnTermination: aws.Bool(true),
			},
		}},
		NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
			DeviceIndex:              aws.Int32(0),
			AssociatePublicIpAddress: aws.Bool(true),
			Groups:                   []string{r.spec.SecurityGroupID},
			DeleteOnTermination:      aws.Bool(true),
		}},
		// Burstable types launch "unlimited" by default, which bills
		// surplus credits when a job runs hot: standard throttles instead.
		CreditSpecification: &ec2types.CreditSpecificationRequest{CpuCredits: aws.String("standard")},
		UserData:            aws.String(userData),
		TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{
			{ResourceType: ec2types.ResourceTypeInstance, Tags: ec2Tags(r.tags(), map[string]string{"Name": r.n.stack + "-ecs-host"})},
			{ResourceType: ec2types.ResourceTypeVolume, Tags: ec2Tags(r.tags())},
		},
	}
	if r.spec.KeyName != "" {
		d.KeyName = aws.String(r.spec.KeyName)
	}
	return d, nil
}

// launchTemplate deletes the template when it is ours.
func (d *deleter) launchTemplate(ctx context.Context) error {
	n := d.n
	t, err := d.h.findTemplate(ctx, n)
	if err != nil || t == nil {
		return err
	}
	if !n.ours(ec2TagMap(t.Tags)) {
		d.h.o.Logger.Debug("delete: launch template is not ours, left alone", "name", n.launchTemplate())
		return nil
	}
	_, err = d.h.c.EC2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: t.LaunchTemplateId})
	if err != nil && !awserr.Is(err, "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException") {
		return fmt.Errorf("delete launch template %q: %w", n.launchTemplate(), err)
	}
	d.deleted(kindLaunchTemplate, n.launchTemplate(), aws.ToString(t.LaunchTemplateId))
	return nil
}
