import * as A from "ajv";
console.log(Object.keys(A), typeof (A as any).Ajv, typeof (A as any).default);
import { Ajv } from "ajv";
const a = new Ajv();
console.log(a.validate({type:"string"}, 1));
