#include "textflag.h"

// func lastDigitRunAVX2(p *byte, n int) int
//
// From the top of p[0:n) down, 32 bytes a round: the digits' mask of the
// round's bytes, below the mask of the 32 above them (zero above n), in
// one 64-bit word w; w & w>>1 & ... marks each bit that starts 14 set
// bits (four shifts: 2, 4, 8, then 14 = 8+6). The highest mark among
// the round's own 32 bits is the answer.
TEXT ·lastDigitRunAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ $0x2f2f2f2f2f2f2f2f, AX
	MOVQ AX, X1
	VPBROADCASTQ X1, Y1
	MOVQ $0x3a3a3a3a3a3a3a3a, AX
	MOVQ AX, X2
	VPBROADCASTQ X2, Y2
	XORQ R8, R8

loop:
	SUBQ $32, CX
	JL   notfound
	VMOVDQU  (SI)(CX*1), Y3
	VPCMPGTB Y1, Y3, Y4  // byte > '/'
	VPCMPGTB Y3, Y2, Y5  // ':' > byte
	VPAND    Y4, Y5, Y4
	VPMOVMSKB Y4, AX
	MOVQ R8, DX
	SHLQ $32, DX
	ORQ  AX, DX
	MOVQ AX, R8
	MOVQ DX, BX
	SHRQ $1, BX
	ANDQ BX, DX
	MOVQ DX, BX
	SHRQ $2, BX
	ANDQ BX, DX
	MOVQ DX, BX
	SHRQ $4, BX
	ANDQ BX, DX
	MOVQ DX, BX
	SHRQ $6, BX
	ANDQ BX, DX
	MOVL DX, DX
	TESTQ DX, DX
	JZ   loop
	BSRQ DX, AX
	ADDQ CX, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

notfound:
	MOVQ $-1, ret+16(FP)
	VZEROUPPER
	RET
