import { version } from "../package.json";

export const taleVersion: string = version;
