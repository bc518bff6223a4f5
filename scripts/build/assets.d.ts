// The build writes these before compiling; see scripts/build.ts.
declare module "*.tar.gz" {
  const path: string;
  export default path;
}

declare module "*.wasm" {
  const path: string;
  export default path;
}
