/* default_vars.c — Suricata's default variables (see default_vars.h). */
#include "common/default_vars.h"

const vg_default_var_t vg_default_vars[] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", 0},
    {"EXTERNAL_NET", "!$HOME_NET", 0},
    {"HTTP_SERVERS", "$HOME_NET", 0},
    {"SMTP_SERVERS", "$HOME_NET", 0},
    {"SQL_SERVERS", "$HOME_NET", 0},
    {"DNS_SERVERS", "$HOME_NET", 0},
    {"TELNET_SERVERS", "$HOME_NET", 0},
    {"AIM_SERVERS", "$EXTERNAL_NET", 0},
    {"DC_SERVERS", "$HOME_NET", 0},
    {"DNP3_SERVER", "$HOME_NET", 0},
    {"DNP3_CLIENT", "$HOME_NET", 0},
    {"MODBUS_CLIENT", "$HOME_NET", 0},
    {"MODBUS_SERVER", "$HOME_NET", 0},
    {"ENIP_CLIENT", "$HOME_NET", 0},
    {"ENIP_SERVER", "$HOME_NET", 0},
    {"HTTP_PORTS", "80", 1},
    {"SHELLCODE_PORTS", "!80", 1},
    {"ORACLE_PORTS", "1521", 1},
    {"SSH_PORTS", "22", 1},
    {"DNP3_PORTS", "20000", 1},
    {"MODBUS_PORTS", "502", 1},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]", 1},
    {"FTP_PORTS", "21", 1},
    {"GENEVE_PORTS", "6081", 1},
    {"VXLAN_PORTS", "4789", 1},
    {"TEREDO_PORTS", "3544", 1},
};

const size_t vg_n_default_vars = sizeof vg_default_vars / sizeof vg_default_vars[0];
