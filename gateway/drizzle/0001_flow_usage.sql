CREATE TABLE "flow_baselines" (
	"key" text PRIMARY KEY NOT NULL,
	"orig_bytes" bigint NOT NULL,
	"orig_packets" bigint NOT NULL,
	"reply_bytes" bigint NOT NULL,
	"reply_packets" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flow_usage_hour" (
	"bucket_start" timestamp with time zone NOT NULL,
	"device_id" integer NOT NULL,
	"remote" "inet" NOT NULL,
	"proto" text NOT NULL,
	"port" integer NOT NULL,
	"rx_bytes" bigint NOT NULL,
	"tx_bytes" bigint NOT NULL,
	"flows" integer NOT NULL,
	CONSTRAINT "flow_usage_hour_bucket_start_device_id_remote_proto_port_pk" PRIMARY KEY("bucket_start","device_id","remote","proto","port")
);
--> statement-breakpoint
CREATE INDEX "flow_usage_hour_device_idx" ON "flow_usage_hour" USING btree ("device_id","bucket_start");