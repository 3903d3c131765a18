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

// launchTemplate ensures the template the group launches from. Each change
// is a new version, made the default; the group then points at it.
func (r *run) launchTemplate(ctx context.Context) error {
	name := r.n.launchTemplate()
	if r.offline {
		ami := r.spec.AMI
		if ami == "" {
			ami = "read from " + AMIParameter(r.spec.InstanceType) + " at apply, then pinned"
		}
		r.add("launch template", name, Create, fmt.Sprintf("%s, AMI %s, IMDSv2 hop limit 1, encrypted gp3 %d GiB", r.spec.InstanceType, ami, r.spec.RootVolumeGiB))
		return nil
	}
	ec2c := r.h.c.EC2
	var tmpl *ec2types.LaunchTemplate
	out, err := ec2c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{name}})
	switch {
	case awserr.Is(err, "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound"):
	case err != nil:
		return fmt.Errorf("describe launch template %q: %w", name, err)
	case len(out.LaunchTemplates) > 0:
		tmpl = &out.LaunchTemplates[0]
	}
	var current *ec2types.LaunchTemplateVersion
	if tmpl != nil {
		if !r.n.ours(ec2TagMap(tmpl.Tags)) {
			return fmt.Errorf("launch template %q %w; delete it or choose another Stack", name, ErrNotOurs)
		}
		r.st.LaunchTemplateID = aws.ToString(tmpl.LaunchTemplateId)
		v, err := ec2c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
			LaunchTemplateId: tmpl.LaunchTemplateId, Versions: []string{"$Default"},
		})
		if err != nil {
			return fmt.Errorf("describe default version of launch template %q: %w", name, err)
		}
		if len(v.LaunchTemplateVersions) > 0 {
			current = &v.LaunchTemplateVersions[0]
		}
	}
	ami, amiFrom, err := r.ami(ctx, current)
	if err != nil {
		return err
	}
	r.st.AMI = ami
	data, err := r.templateData(ami)
	if err != nil {
		return err
	}
	hash := hashOf(data)
	desc := versionDescription(hash, amiFrom)
	detail := fmt.Sprintf("%s, AMI %s, IMDSv2 hop limit 1, encrypted gp3 %d GiB", r.spec.InstanceType, ami, r.spec.RootVolumeGiB)
	if tmpl == nil {
		r.add("launch template", name, Create, detail)
		if !r.apply {
			return nil
		}
		out, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
			LaunchTemplateName: aws.String(name),
			VersionDescription: aws.String(desc),
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
	if current != nil {
		if h, _ := parseVersionDescription(aws.ToString(current.VersionDescription)); h == hash {
			r.st.LaunchTemplateVersion = aws.ToInt64(current.VersionNumber)
			r.add("launch template", name, Keep, detail+", version "+strconv.FormatInt(r.st.LaunchTemplateVersion, 10))
			return nil
		}
	}
	r.add("launch template", name, Update, "new version: "+detail)
	if !r.apply {
		r.st.LaunchTemplateVersion = aws.ToInt64(tmpl.LatestVersionNumber) + 1
		return nil
	}
	// Every field is passed: versions are not based on a source version
	// (and moto ignores SourceVersion anyway).
	v, err := ec2c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: tmpl.LaunchTemplateId, VersionDescription: aws.String(desc), LaunchTemplateData: data,
	})
	if err != nil {
		return fmt.Errorf("create version of launch template %q: %w", name, err)
	}
	version := aws.ToInt64(v.LaunchTemplateVersion.VersionNumber)
	_, err = ec2c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{
		LaunchTemplateId: tmpl.LaunchTemplateId, DefaultVersion: aws.String(strconv.FormatInt(version, 10)),
	})
	if err != nil {
		return fmt.Errorf("make version %d the default of launch template %q: %w", version, name, err)
	}
	r.st.LaunchTemplateVersion = version
	return nil
}

// ami returns the AMI to launch and where it came from: the Spec's, the
// current version's (pinned), or the SSM parameter's when there is no
// version yet, RefreshAMI is set, or the architecture changed.
func (r *run) ami(ctx context.Context, current *ec2types.LaunchTemplateVersion) (string, string, error) {
	if r.spec.AMI != "" {
		return r.spec.AMI, "spec", nil
	}
	param := AMIParameter(r.spec.InstanceType)
	if current != nil && current.LaunchTemplateData != nil && !r.spec.RefreshAMI {
		_, from := parseVersionDescription(aws.ToString(current.VersionDescription))
		if id := aws.ToString(current.LaunchTemplateData.ImageId); from == param && id != "" {
			return id, param, nil
		}
	}
	out, err := r.h.c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		return "", "", fmt.Errorf("read the ECS-optimized AMI from SSM %s: %w", param, err)
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
		UserData: aws.String(userData),
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

func ec2TagMap(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// deleteLaunchTemplate deletes the template when it is ours.
func (h *Host) deleteLaunchTemplate(ctx context.Context, n names) (bool, error) {
	out, err := h.c.EC2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{n.launchTemplate()}})
	if awserr.Is(err, "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe launch template %q: %w", n.launchTemplate(), err)
	}
	if len(out.LaunchTemplates) == 0 {
		return false, nil
	}
	t := out.LaunchTemplates[0]
	if !n.ours(ec2TagMap(t.Tags)) {
		h.log.Debug("delete: launch template is not ours, left alone", "name", n.launchTemplate())
		return false, nil
	}
	_, err = h.c.EC2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: t.LaunchTemplateId})
	if err != nil && !awserr.Is(err, "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException") {
		return false, fmt.Errorf("delete launch template %q: %w", n.launchTemplate(), err)
	}
	return true, nil
}
