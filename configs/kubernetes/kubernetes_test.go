// Package kubernetes_test checks the Kubernetes example (sidecar.yaml)
// against what odpswatch and its image are: the config in it loads, the
// probes, port, user and command are the daemon's and the Containerfile's.
package kubernetes_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/odpswatch/odpswatch/internal/config"
)

type object struct {
	APIVersion string                `yaml:"apiVersion"`
	Kind       string                `yaml:"kind"`
	Metadata   struct{ Name string } `yaml:"metadata"`
	Data       map[string]string     `yaml:"data"`
	Spec       struct {
		Replicas int `yaml:"replicas"`
		Template struct {
			Spec struct {
				SecurityContext struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name      string
					ConfigMap struct{ Name string } `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	LivenessProbe   probe `yaml:"livenessProbe"`
	ReadinessProbe  probe `yaml:"readinessProbe"`
	SecurityContext struct {
		ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func load(t *testing.T) map[string]object {
	t.Helper()
	data, err := os.ReadFile("sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	objs := map[string]object{}
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("sidecar.yaml: %v", err)
		}
		objs[o.Kind] = o
	}
	return objs
}

func TestSidecarManifest(t *testing.T) {
	objs := load(t)
	cm, dep := objs["ConfigMap"], objs["Deployment"]
	if cm.APIVersion != "v1" || dep.APIVersion != "apps/v1" || len(objs) != 2 {
		t.Fatalf("want a v1 ConfigMap and an apps/v1 Deployment: %v", objs)
	}
	// The configuration loads, and is a Kafka source in a consumer group.
	path := filepath.Join(t.TempDir(), "odpswatch.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["odpswatch.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the ConfigMap's odpswatch.yaml: %v", err)
	}
	if len(cfg.Sources) != 1 || cfg.Sources[0].Type != "kafka" || cfg.Sources[0].GroupID == "" {
		t.Errorf("want one Kafka source in a group: %+v", cfg.Sources)
	}

	spec := dep.Spec.Template.Spec
	if dep.Spec.Replicas < 2 {
		t.Errorf("replicas %d: the example shows a group of several", dep.Spec.Replicas)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	if !slices.Equal(c.Args, []string{"run", "--config.file=/etc/odpswatch/odpswatch.yaml"}) {
		t.Errorf("args %q", c.Args)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 9781 || c.Ports[0].Name != "metrics" {
		t.Errorf("ports %+v, want metrics on 9781", c.Ports)
	}
	if c.LivenessProbe.HTTPGet.Path != "/-/healthy" || c.ReadinessProbe.HTTPGet.Path != "/-/ready" ||
		c.LivenessProbe.HTTPGet.Port != "metrics" || c.ReadinessProbe.HTTPGet.Port != "metrics" {
		t.Errorf("probes %+v %+v", c.LivenessProbe, c.ReadinessProbe)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	if !c.SecurityContext.ReadOnlyRootFilesystem || !spec.SecurityContext.RunAsNonRoot {
		t.Error("want a read-only root and a non-root user")
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/etc/odpswatch" ||
		len(spec.Volumes) != 1 || spec.Volumes[0].ConfigMap.Name != cm.Metadata.Name {
		t.Errorf("the ConfigMap is not mounted at /etc/odpswatch: %+v %+v", c.VolumeMounts, spec.Volumes)
	}

	// The image's user, port and command are those the manifest assumes.
	cf, err := os.ReadFile("../../packaging/Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"USER 65532:65532", "EXPOSE 9781", `CMD ["run", "--config.file=/etc/odpswatch/odpswatch.yaml"]`} {
		if !strings.Contains(string(cf), "\n"+want+"\n") {
			t.Errorf("packaging/Containerfile lacks %q", want)
		}
	}
	if spec.SecurityContext.RunAsUser != 65532 {
		t.Errorf("runAsUser %d, the image's is 65532", spec.SecurityContext.RunAsUser)
	}
}
