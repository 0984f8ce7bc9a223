/** A Kubernetes object as YAML gives it. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  } & Record<string, unknown>;
  [field: string]: unknown;
}
