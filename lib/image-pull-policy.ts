import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import { checkEnum } from './validation/checks';

/** When the kubelet pulls the image (Kubernetes `imagePullPolicy`), for charts on any cdk8s-plus version. */
export enum ImagePullPolicy {
  /** Pull on every container start. */
  ALWAYS = 'Always',
  /** Pull only when the node does not have the image. */
  IF_NOT_PRESENT = 'IfNotPresent',
  /** Never pull: the image was built or imported on the node (e.g. a dev VM without a registry). */
  NEVER = 'Never',
}

const PULL_POLICIES: Record<ImagePullPolicy, kplus.ImagePullPolicy> = {
  [ImagePullPolicy.ALWAYS]: kplus.ImagePullPolicy.ALWAYS,
  [ImagePullPolicy.IF_NOT_PRESENT]: kplus.ImagePullPolicy.IF_NOT_PRESENT,
  [ImagePullPolicy.NEVER]: kplus.ImagePullPolicy.NEVER,
};

/** Ours to cdk8s-plus-25's, checked (JavaScript callers can pass any string). */
export function toPullPolicy(scope: Construct, field: string, policy: ImagePullPolicy): kplus.ImagePullPolicy {
  return checkEnum(scope, field, policy, PULL_POLICIES, 'ImagePullPolicy');
}
