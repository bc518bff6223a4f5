export { computeRouteFeatures, type FeatureSource } from "./features";
export { fallbackLimits, fallbackRoute } from "./fallback-router";
