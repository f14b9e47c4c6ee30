ALTER TABLE "flow_usage_hour" ADD COLUMN "app" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_usage_hour" DROP CONSTRAINT "flow_usage_hour_bucket_start_device_id_remote_proto_port_domain_pk";--> statement-breakpoint
ALTER TABLE "flow_usage_hour" ADD CONSTRAINT "flow_usage_hour_bucket_start_device_id_remote_proto_port_domain_app_pk" PRIMARY KEY("bucket_start","device_id","remote","proto","port","domain","app");--> statement-breakpoint
ALTER TABLE "flow_baselines" ADD COLUMN "app" text DEFAULT '' NOT NULL;
