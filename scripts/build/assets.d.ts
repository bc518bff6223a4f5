// The build writes these before compiling; see scripts/build.ts.
declare module "*.tar.gz" {
  const path: string;
  export default path;
}
