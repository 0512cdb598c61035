# The README example's chart from Python, through the jsii-built wheel.
from cdk8s import App, Chart, Duration
from cdk8s_hot_reload import (
    HostPathStorage, HotReloadDeployment, OnChangeTrigger, ReadinessCheck, ReloadPresets, SecretKeyRef, WatchOptions,
)

app = App()
chart = Chart(app, "web", namespace="default")

preset = ReloadPresets.node(main="server.js", port=3000)
HotReloadDeployment(
    chart, "web",
    command=preset.command,
    port=preset.port,
    env=preset.env,
    reload=preset.reload,
    image="node:22-alpine",
    code_storage=HostPathStorage(chart, "web-code", path="/vagrant/web", storage="1Gi"),
    watch=WatchOptions(include=["*.js", "*.json"], interval=Duration.millis(100)),
    on_change=[OnChangeTrigger(glob="package.json", command="npm install --omit=dev")],
    secret_env={"API_TOKEN": SecretKeyRef(secret_name="web-secrets", key="api-token")},
    readiness=ReadinessCheck(http_path="/healthz"),
    node_port=31001,
)
app.synth()
