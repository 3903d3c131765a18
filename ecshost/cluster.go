package ecshost

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// cluster ensures the ECS cluster, with Container Insights as asked (off
// by default: its metrics are billed).
func (r *run) cluster(ctx context.Context) error {
	name := r.n.cluster()
	insights := "disabled"
	if r.spec.ContainerInsights {
		insights = "enabled"
	}
	detail := "container insights " + insights
	if r.offline {
		r.add("cluster", name, Create, detail)
		return nil
	}
	c, err := r.h.findCluster(ctx, name)
	if err != nil {
		return err
	}
	settings := []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String(insights)}}
	if c == nil {
		r.add("cluster", name, Create, detail)
		if !r.apply {
			return nil
		}
		out, err := r.h.c.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Settings: settings, Tags: ecsTags(r.tags())})
		if err != nil {
			return fmt.Errorf("create cluster %q: %w", name, err)
		}
		r.st.ClusterARN = aws.ToString(out.Cluster.ClusterArn)
		return nil
	}
	r.st.ClusterARN = aws.ToString(c.ClusterArn)
	have := ecsTagMap(c.Tags)
	if !r.n.ours(have) {
		return fmt.Errorf("cluster %q %w; delete it or choose another Stack", name, ErrNotOurs)
	}
	var changes []string
	current := ""
	for _, s := range c.Settings {
		if s.Name == ecstypes.ClusterSettingNameContainerInsights {
			current = aws.ToString(s.Value)
		}
	}
	if current != insights {
		changes = append(changes, fmt.Sprintf("container insights %s → %s", current, insights))
		if r.apply {
			if _, err := r.h.c.ECS.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String(name), Settings: settings}); err != nil {
				return fmt.Errorf("update cluster %q: %w", name, err)
			}
		}
	}
	if tags := missingTags(r.tags(), have); len(tags) > 0 {
		changes = append(changes, "tags")
		if r.apply {
			if _, err := r.h.c.ECS.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: c.ClusterArn, Tags: ecsTags(tags)}); err != nil {
				return fmt.Errorf("tag cluster %q: %w", name, err)
			}
		}
	}
	if len(changes) == 0 {
		r.add("cluster", name, Keep, detail)
	} else {
		r.add("cluster", name, Update, fmt.Sprint(changes))
	}
	return nil
}

// findCluster returns the ACTIVE cluster of that name, or nil.
func (h *Host) findCluster(ctx context.Context, name string) (*ecstypes.Cluster, error) {
	out, err := h.c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{
		Clusters: []string{name},
		Include:  []ecstypes.ClusterField{ecstypes.ClusterFieldTags, ecstypes.ClusterFieldSettings},
	})
	if err != nil {
		return nil, fmt.Errorf("describe cluster %q: %w", name, err)
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.ClusterName) == name && aws.ToString(c.Status) != "INACTIVE" {
			return &c, nil
		}
	}
	return nil, nil
}

func ecsTags(m map[string]string) []ecstypes.Tag {
	var out []ecstypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, ecstypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func ecsTagMap(tags []ecstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
