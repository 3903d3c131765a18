package ecshost

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// clusterSteps ensures the ECS cluster, with Container Insights as asked
// (off by default: its metrics are billed).
func (r *run) clusterSteps(ctx context.Context) ([]engine.Step, error) {
	name := r.n.cluster()
	insights := "disabled"
	if r.spec.ContainerInsights {
		insights = "enabled"
	}
	detail := "container insights " + insights
	var c *ecstypes.Cluster
	if !r.offline {
		var err error
		if c, err = r.h.findCluster(ctx, name); err != nil {
			return nil, err
		}
	}
	settings := []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String(insights)}}
	if c == nil {
		return []engine.Step{create(kindCluster, name, []string{detail}, func(ctx context.Context) error {
			out, err := r.h.c.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Settings: settings, Tags: ecsTags(r.tags())})
			if err != nil {
				return fmt.Errorf("create cluster %q: %w", name, err)
			}
			r.st.ClusterARN = aws.ToString(out.Cluster.ClusterArn)
			return nil
		})}, nil
	}
	r.st.ClusterARN = aws.ToString(c.ClusterArn)
	have := ecsTagMap(c.Tags)
	if !r.n.ours(have) {
		return nil, notOurs("cluster", name)
	}
	var e edits
	current := ""
	for _, s := range c.Settings {
		if s.Name == ecstypes.ClusterSettingNameContainerInsights {
			current = aws.ToString(s.Value)
		}
	}
	if current != insights {
		e.add(fmt.Sprintf("container insights %s → %s", current, insights), func(ctx context.Context) error {
			if _, err := r.h.c.ECS.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String(name), Settings: settings}); err != nil {
				return fmt.Errorf("update cluster %q: %w", name, err)
			}
			return nil
		})
	}
	if tags := missingTags(r.tags(), have); len(tags) > 0 {
		e.add("tags", func(ctx context.Context) error {
			if _, err := r.h.c.ECS.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: c.ClusterArn, Tags: ecsTags(tags)}); err != nil {
				return fmt.Errorf("tag cluster %q: %w", name, err)
			}
			return nil
		})
	}
	return []engine.Step{e.step(kindCluster, name, r.st.ClusterARN, detail)}, nil
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
