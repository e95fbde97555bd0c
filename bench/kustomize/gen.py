#!/usr/bin/env python3
"""bench/kustomize/gen.py DIR APPS: the trees bench/kustomize/run builds.

  DIR/tree/base          APPS apps of 4 objects (ServiceAccount, ConfigMap, Service, Deployment)
  DIR/tree/overlays/envK (K = 0..9) the base with namespace, namePrefix, labels, annotations,
                         images, replicas, a strategic-merge patch of every Deployment (by
                         target), a JSON 6902 patch of every Service, a configMapGenerator (a
                         literal, a file, an env file) and a secretGenerator; the generated
                         ConfigMap is referenced by every Deployment (name references follow the
                         hash suffix)
  DIR/tree               the 10 overlays together: 10 x (4 APPS + 2) objects (2,020 at APPS=50)
  DIR/podinfo            a small real-world layout as in Flux's examples: apps/base/podinfo
                         (Deployment, Service, HorizontalPodAutoscaler) and the staging overlay
                         (namespace, patches, a values ConfigMap replaced from a file), built from
                         DIR/podinfo, whose kustomization.yaml lists apps/staging (as a cluster
                         directory would: `eddy kustomize build` reads nothing outside its DIR)
  DIR/infra              infrastructure controllers as a flux monorepo lays them out: three
                         components' bases (Namespace, ServiceAccount, RBAC, Deployment, Service)
                         and DIR/infra/kustomization.yaml: all three with commonLabels and an image pin
"""
import os
import sys


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def app(i):
    n = "app-%03d" % i
    return f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {n}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {n}-settings
data:
  app.properties: |
    name={n}
    cache.size=128
    log.level=info
  index: "{i}"
---
apiVersion: v1
kind: Service
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  selector:
    app: {n}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {n}
  template:
    metadata:
      labels:
        app: {n}
    spec:
      serviceAccountName: {n}
      containers:
      - name: app
        image: ghcr.io/example/{n}:1.0.0
        ports:
        - name: http
          containerPort: 8080
        envFrom:
        - configMapRef:
            name: {n}-settings
        - configMapRef:
            name: env-config
        resources:
          requests:
            cpu: 10m
            memory: 32Mi
"""


def tree(d, apps):
    base = os.path.join(d, "tree", "base")
    for i in range(apps):
        write(f"{base}/app-{i:03d}.yaml", app(i))
    write(f"{base}/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
          + "".join(f"- app-{i:03d}.yaml\n" for i in range(apps)))
    envs = []
    for k in range(10):
        env = f"env{k}"
        envs.append(env)
        o = os.path.join(d, "tree", "overlays", env)
        write(f"{o}/settings.properties", f"ENVIRONMENT={env}\nREGION=eu-{k}\nFEATURE_X=on\n")
        write(f"{o}/banner.txt", f"Welcome to {env}\n" * 4)
        write(f"{o}/deployment-patch.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: any
  annotations:
    example.com/env: {env}
spec:
  template:
    spec:
      containers:
      - name: app
        resources:
          limits:
            memory: 128Mi
        env:
        - name: ENVIRONMENT
          value: {env}
""")
        write(f"{o}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {env}
namePrefix: {env}-
resources:
- ../../base
labels:
- pairs:
    environment: {env}
  includeSelectors: false
commonAnnotations:
  example.com/owner: team-{k % 3}
images:
- name: ghcr.io/example/app-000
  newTag: 1.0.{k}
replicas:
- name: app-001
  count: {k + 2}
configMapGenerator:
- name: env-config
  literals:
  - TIER=backend
  files:
  - banner.txt
  envs:
  - settings.properties
secretGenerator:
- name: credentials
  literals:
  - username=admin-{env}
  - password=not-a-real-secret-{k}
patches:
- path: deployment-patch.yaml
  target:
    kind: Deployment
- target:
    kind: Service
  patch: |-
    - op: add
      path: /metadata/annotations
      value:
        example.com/scrape: "true"
    - op: replace
      path: /spec/ports/0/port
      value: 8{k}80
""")
    write(os.path.join(d, "tree", "kustomization.yaml"),
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
          + "".join(f"- overlays/{e}\n" for e in envs))


def podinfo(d):
    b = os.path.join(d, "podinfo", "apps", "base", "podinfo")
    write(f"{b}/deployment.yaml", """apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  minReadySeconds: 3
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 60
  strategy:
    rollingUpdate:
      maxUnavailable: 0
    type: RollingUpdate
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9797"
      labels:
        app: podinfo
    spec:
      containers:
      - name: podinfod
        image: ghcr.io/stefanprodan/podinfo:6.5.0
        imagePullPolicy: IfNotPresent
        ports:
        - name: http
          containerPort: 9898
          protocol: TCP
        - name: http-metrics
          containerPort: 9797
          protocol: TCP
        command:
        - ./podinfo
        - --port=9898
        - --port-metrics=9797
        - --level=info
        livenessProbe:
          httpGet:
            path: /healthz
            port: 9898
        readinessProbe:
          httpGet:
            path: /readyz
            port: 9898
        resources:
          limits:
            cpu: 2000m
            memory: 512Mi
          requests:
            cpu: 100m
            memory: 64Mi
        volumeMounts:
        - name: values
          mountPath: /etc/podinfo
      volumes:
      - name: values
        configMap:
          name: podinfo-values
""")
    write(f"{b}/service.yaml", """apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  type: ClusterIP
  selector:
    app: podinfo
  ports:
  - name: http
    port: 9898
    protocol: TCP
    targetPort: http
""")
    write(f"{b}/hpa.yaml", """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: podinfo
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  minReplicas: 2
  maxReplicas: 4
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 99
""")
    write(f"{b}/values.yaml", "replicaCount: 2\nui:\n  message: base\n")
    write(f"{b}/kustomization.yaml", """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
- service.yaml
- hpa.yaml
configMapGenerator:
- name: podinfo-values
  files:
  - values.yaml
""")
    s = os.path.join(d, "podinfo", "apps", "staging")
    write(f"{s}/values.yaml", "replicaCount: 3\nui:\n  message: staging\n")
    write(f"{s}/kustomization.yaml", """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: podinfo
resources:
- ../base/podinfo
configMapGenerator:
- name: podinfo-values
  behavior: replace
  files:
  - values.yaml
patches:
- target:
    kind: HorizontalPodAutoscaler
    name: podinfo
  patch: |-
    - op: replace
      path: /spec/minReplicas
      value: 3
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: podinfo
    spec:
      template:
        spec:
          containers:
          - name: podinfod
            env:
            - name: PODINFO_UI_COLOR
              value: "#34577c"
""")
    write(os.path.join(d, "podinfo", "kustomization.yaml"), "apiVersion: "
          "kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- apps/staging\n")


def infra(d):
    comps = ["ingress-nginx", "cert-manager", "metrics-server"]
    for c in comps:
        b = os.path.join(d, "infra", "infrastructure", "controllers", c)
        write(f"{b}/rbac.yaml", f"""apiVersion: v1
kind: Namespace
metadata:
  name: {c}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {c}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {c}
rules:
- apiGroups: [""]
  resources: ["pods", "services", "endpoints", "secrets", "configmaps"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {c}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {c}
subjects:
- kind: ServiceAccount
  name: {c}
  namespace: {c}
""")
        write(f"{b}/deployment.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {c}-controller
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {c}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {c}
    spec:
      serviceAccountName: {c}
      containers:
      - name: controller
        image: registry.example.com/{c}:v1.0.0
        args: ["--leader-elect", "--v=2"]
        ports:
        - name: metrics
          containerPort: 10254
---
apiVersion: v1
kind: Service
metadata:
  name: {c}
spec:
  selector:
    app.kubernetes.io/name: {c}
  ports:
  - name: metrics
    port: 10254
    targetPort: metrics
""")
        write(f"{b}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {c}
resources:
- rbac.yaml
- deployment.yaml
""")
    o = os.path.join(d, "infra")
    write(f"{o}/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
          "kind: Kustomization\ncommonLabels:\n  toolkit.fluxcd.io/tenant: platform\n"
          "images:\n- name: registry.example.com/cert-manager\n  newTag: v1.14.4\n"
          "resources:\n" + "".join(f"- infrastructure/controllers/{c}\n" for c in comps))


def main():
    d, apps = sys.argv[1], int(sys.argv[2])
    tree(d, apps)
    podinfo(d)
    infra(d)


if __name__ == "__main__":
    main()
