/** How a HotReloadDeployment brings changed code into the running container. */
export enum ReloadStrategy {
  /**
   * The reload supervisor restarts the app's process group inside the running container, typically
   * within half a second. A crash (e.g. a syntax error) never exits the container, so the kubelet
   * never backs off: the next save starts the app again.
   */
  SUPERVISOR = 'supervisor',

  /**
   * The original environment's idea, fixed: a liveness probe compares a fingerprint of the whole
   * tree with the one taken at container start (kept outside the source tree) and fails on a
   * change, so the kubelet restarts the container. Seconds per reload, and every restart feeds the
   * kubelet's crash backoff. Kept for comparison, and for apps that need a fresh container on every
   * change. It wraps the command like SUPERVISOR does, and runs no onChange commands.
   */
  RESTART_CONTAINER = 'restart-container',
}

// The reload action and check that complement the strategy live beside the supervisor that runs them.
export * from './supervisor/reload-options';
